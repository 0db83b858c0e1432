"""What a search may change and the values it tries; no Optuna or TensorFlow here (`run.py --help` reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TUNE_TRIALS = 20  # --trials
TUNE_TRIAL_SECONDS = 60.0  # --trial-seconds
TUNE_TRIAL_SEEDS = 1  # --trial-seeds: runs per trial, each on its own seed; the trial's value is their mean


@dataclass(frozen=True)
class Param:
    """A setting the search may change, and the values it tries."""

    log_range: tuple[float, float] | None = None  # sampled log-uniformly between these
    choices: tuple[Any, ...] = ()  # or one of these

    def suggest(self, trial, name: str) -> Any:
        if self.log_range is not None:
            return trial.suggest_float(name, *self.log_range, log=True)
        return trial.suggest_categorical(name, list(self.choices))


# What `--tune-params` may name, with the ranges rl-baselines3-zoo's A2C search uses where it has one.
SEARCH_SPACE: dict[str, Param] = {
    "lr": Param(log_range=(1e-5, 1e-2)),
    "gamma": Param(choices=(0.9, 0.95, 0.98, 0.99, 0.995, 0.999)),
    "entropy_beta": Param(log_range=(1e-6, 0.1)),
    "t_max": Param(choices=(5, 8, 16, 32)),
    "envs_per_worker": Param(choices=(8, 16, 32, 64)),
    "value_coef": Param(choices=(0.25, 0.5, 0.75, 1.0)),
    "gae_lambda": Param(choices=(0.8, 0.9, 0.92, 0.95, 0.98, 0.99, 1.0)),
    "max_grad_norm": Param(choices=(0.5, 1.0, 5.0, 40.0)),
    "normalize_obs": Param(choices=(False, True)),
    "normalize_reward": Param(choices=(False, True)),
}
DEFAULT_TUNE_PARAMS = ("lr", "gamma", "entropy_beta", "t_max", "envs_per_worker")
