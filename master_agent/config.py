"""Every setting of a run, as saved in `config.json`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from worker import Hyperparams


@dataclass(frozen=True)
class RunConfig:
    game: str
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    learning_rate: float = 1e-3
    hyperparams: Hyperparams = field(default_factory=Hyperparams)
    max_steps: int | None = None
    max_episodes: int | None = None
    max_seconds: float | None = None
    target_reward: float | None = None  # None: never stop on reward (a game without a threshold)
    target_window: int = 100  # episodes in the moving average compared with the target
    seed: int = 0
    runs_dir: str = "runs"
    checkpoint_every: float = 300.0  # seconds between periodic checkpoints (one is always written at the end)
    cnn_lstm: bool = False  # image games: CNN + LSTM on single frames instead of a CNN on 4 stacked frames
    backend: str = "thread"  # thread | ray: where the workers run
    ray_address: str | None = None  # None: a local Ray started for the run; "auto" or HOST:PORT: join a cluster
    # "tf": the game's environments as TensorFlow ops, the whole update one graph (CartPole); "gymnasium":
    # gymnasium's envs stepped from Python. Runs saved before this setting existed used gymnasium's.
    env_impl: str = "gymnasium"


@dataclass(frozen=True)
class GameDefaults:
    """Settings that depend on the kind of game; every one is overridable by its flag."""

    learning_rate: float
    t_max: int
    envs_per_worker: int
    clip_rewards: bool
    max_steps: int | None


CLASSIC_DEFAULTS = GameDefaults(learning_rate=1e-3, t_max=5, envs_per_worker=64, clip_rewards=False, max_steps=None)
# With the environments in TensorFlow an update costs little Python, so fewer envs per update pay off: CartPole
# solved in the same median time with half the env steps at 32 as at 64 (10 seeds each, README).
CLASSIC_TF_DEFAULTS = replace(CLASSIC_DEFAULTS, envs_per_worker=32)
# Atari: t_max 20 and reward clipping as in the A3C paper; a 10M-step budget unless told otherwise.
# lr 7e-4, as A2C uses for the same 80-sample updates (E x t_max = 4 x 20): with 1e-4 and 4e-4 the CNN-LSTM's
# SpaceInvaders score stayed at the random policy's level (~150) for 350k and 1M agent steps (measured).
ATARI_DEFAULTS = GameDefaults(learning_rate=7e-4, t_max=20, envs_per_worker=4, clip_rewards=True, max_steps=10_000_000)


def defaults_for(is_atari: bool, tf_env: bool = False) -> GameDefaults:
    if is_atari:
        return ATARI_DEFAULTS
    return CLASSIC_TF_DEFAULTS if tf_env else CLASSIC_DEFAULTS
