"""Every setting of a run, as saved in `config.json`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

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
