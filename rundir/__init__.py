"""A run directory on disk: its files' names, reading and checking them, the atomic write, the `latest` pointer.

Free of TensorFlow, so that a missing, foreign or damaged run is answered before it loads.
"""

from rundir.files import (
    CHECKPOINT_PATH,
    CONFIG_FILE,
    EPISODE_COLUMNS,
    EPISODES_FILE,
    ERROR_LOG,
    REWARDS_PNG,
    AtomicWrite,
    Checkpoint,
    CheckpointError,
    ConfigError,
    EpisodeLog,
    EpisodesError,
    RunDirError,
    RunFileError,
    append_error_log,
    create_run_dir,
    read_checkpoint,
    read_config,
    read_episodes,
    save_checkpoint,
    write_config,
)
from rundir.latest import LATEST, RunPointerError, resolve_run_dir, update_latest_link

__all__ = [
    "CHECKPOINT_PATH",
    "CONFIG_FILE",
    "EPISODE_COLUMNS",
    "EPISODES_FILE",
    "ERROR_LOG",
    "LATEST",
    "REWARDS_PNG",
    "AtomicWrite",
    "Checkpoint",
    "CheckpointError",
    "ConfigError",
    "EpisodeLog",
    "EpisodesError",
    "RunDirError",
    "RunFileError",
    "RunPointerError",
    "append_error_log",
    "create_run_dir",
    "read_checkpoint",
    "read_config",
    "read_episodes",
    "resolve_run_dir",
    "save_checkpoint",
    "update_latest_link",
    "write_config",
]
