"""A3C-Keras from Python: train, resume, load a trained agent, evaluate it, export it. `run.py` is a thin command
line over these functions, so a run started either way is the same run.

    from a3c import load_agent, make_config, train

    result = train(make_config("CartPole-v1", max_seconds=120))   # a RunConfig with the game's defaults
    agent = load_agent(result.run_dir)                             # best=True: the best evaluated weights
    action, state = agent.act(obs, state)                          # state None where an episode starts

Settings are named as the flags are (`lr` for `--lr`, `eval_every` for `--eval-every`). Bad input raises a
ValueError whose message is one line (the command line prints it as `error: ...`); nothing saved is touched.
TensorFlow loads only once the input is known to be good.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaluate import EvalError
from master_agent.config import EVAL_EPISODES, RunConfig
from master_agent.launch import SettingsError, check_config, resume_config
from master_agent.launch import make_config as _make_config
from master_agent.quiet_start import quiet_atari

if TYPE_CHECKING:
    from evaluate.agent import Agent
    from evaluate.player import EpisodeScore
    from master_agent.master import Observer, TrainResult

# What bad input raises (ValueErrors, each with a one-line message); anything else is a bug, with its traceback.
BAD_INPUT = (SettingsError, EvalError)

__all__ = [
    "BAD_INPUT",
    "RunConfig",
    "SettingsError",
    "evaluate",
    "export",
    "load_agent",
    "make_config",
    "resume",
    "train",
]


def make_config(
    game: str | None, config_file: str | Path | None = None, preset: bool = True, **settings: Any
) -> RunConfig:
    """Every setting of a run on `game` (a gymnasium id, a short Atari name, or `module:EnvId-v0`): the given ones,
    over those of `config_file` (YAML, which may name the game when `game` is None), over the game's preset
    (presets/; `preset=False` skips it), over its kind's defaults. See `master_agent.settings.RULES` for the names
    and what each accepts; `env_kwargs` (a dict) goes to the environment's constructor."""
    quiet_atari()
    return _make_config(game, config_file, preset, **settings)[0]


def train(config: RunConfig, observe: Observer | None = None) -> TrainResult:
    """Train until a stop rule fires (target, budget, Ctrl-C, or `observe` returning True); the run directory
    holds everything it saved. `observe(seconds, global_step, average)` sees the run about once a second.

    Returns a `TrainResult`: solved, reason, episodes, steps, seconds, best_average, best_evaluation, run_dir."""
    quiet_atari()
    game = check_config(config)  # a config built or changed by hand is checked as the flags are
    return _run(config, game, observe=observe)


def resume(run_dir: str | Path, **changes: Any) -> TrainResult:
    """Continue a saved run from its checkpoint; only budgets, workers, backend, checkpoint and evaluation
    settings may change (`max_steps=...` is the whole run's budget, not more steps)."""
    quiet_atari()
    config, game, point = resume_config(run_dir, **changes)
    return _run(config, game, point)


def _run(config: RunConfig, game, point=None, observe: Observer | None = None) -> TrainResult:
    from master_agent.backends import BackendError
    from master_agent.master import MasterAgent  # TensorFlow loads here, once the input is known to be good
    from models import ModelError
    from rundir import CheckpointError, RunDirError

    try:
        master = MasterAgent(config, game, resume=point)
    except (RunDirError, ModelError, BackendError, CheckpointError) as exc:
        raise SettingsError(str(exc)) from None
    return master.train(observe)


def load_agent(run_dir: str | Path, best: bool = False) -> Agent:
    """The trained policy of a saved run (`runs/latest` works): its last checkpoint, or with `best` the weights
    of its best evaluation during training. `agent.act(obs, state, greedy=True)` -> (action, next state)."""
    from evaluate import load_run_info
    from evaluate.player import build_agent, read_weights, run_game

    quiet_atari()
    info = load_run_info(run_dir, best=best)
    return build_agent(info, run_game(info), read_weights(info))


def evaluate(
    run_dir: str | Path,
    episodes: int = EVAL_EPISODES,
    greedy: bool = False,
    seed: int = 0,
    best: bool = False,
    record: str | Path | None = None,
    **record_options: Any,
) -> list[EpisodeScore]:
    """Play whole episodes with a saved run's policy on its preprocessed game, printing each score (what
    `run.py --eval` does); `record` a .gif or .mp4 of the first (`record_every`, `record_scale`)."""
    from evaluate import load_run_info
    from evaluate.recording import check_record_path

    info = load_run_info(run_dir, best=best)
    record = check_record_path(record) if record is not None else None
    from evaluate.player import evaluate_run  # TensorFlow loads here, once the input is known to be good

    quiet_atari()
    return evaluate_run(info, episodes=episodes, greedy=greedy, seed=seed, record=record, **record_options)


def export(run_dir: str | Path, out_dir: str | Path, best: bool = False) -> Path:
    """Write a saved run's network as a TensorFlow SavedModel for serving (`models.export` says what its
    signature takes and returns); with `best`, the weights of its best evaluation."""
    from evaluate import load_run_info

    info = load_run_info(run_dir, best=best)
    from evaluate.player import build_agent, read_weights, run_game
    from models.export import ExportError, export_saved_model

    quiet_atari()
    agent = build_agent(info, run_game(info), read_weights(info))
    try:
        return export_saved_model(agent.model, info.observation_shape, out_dir, agent.normalizer)
    except ExportError as exc:
        raise SettingsError(str(exc)) from None
