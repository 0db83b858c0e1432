"""Everything `--resume RUN_DIR` needs, read and checked before anything is written or TensorFlow loads."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from master_agent.config import RunConfig
from plots import moving_average
from rundir import (
    BEST_DIR,
    CONFIG_FILE,
    ConfigError,
    RunFileError,
    read_checkpoint,
    read_config,
    read_episodes,
    read_evals,
)
from worker import Hyperparams


class ResumeError(ValueError):
    """A run directory that cannot be resumed: missing, foreign, damaged or mismatched."""


@dataclass
class ResumePoint:
    run_dir: Path
    weights: list[np.ndarray]
    optimizer_state: list[np.ndarray]
    state: dict[str, Any]  # counters and RNG states as saved
    episodes: int  # rows already in episodes.csv (they continue from here)
    recent_returns: list[float]  # the last `target_window` returns, to continue the moving average
    best_average: float | None
    best_evaluation: float | None  # the best mean in eval.csv (None: never evaluated)
    best_kept: float | None  # the score of the weights in best/ (None: none kept, or not readable)


def config_from_dict(data: dict[str, Any]) -> RunConfig:
    known = {f.name for f in fields(RunConfig)}
    values = {k: v for k, v in data.items() if k in known}
    values["hyperparams"] = Hyperparams(**data["hyperparams"])
    return RunConfig(**values)


def load_resume_point(run_dir: str | Path) -> tuple[RunConfig, dict[str, Any], ResumePoint]:
    """(saved config, the whole config.json, resume point); raises ResumeError with a one-line reason."""
    run_dir = Path(run_dir)
    damaged = f"'{run_dir / CONFIG_FILE}' is damaged or not an A3C-Keras config"
    try:
        saved = read_config(run_dir)
        config = config_from_dict(saved["config"])
    except ConfigError as exc:
        raise ResumeError(damaged if exc.problem in ("unreadable", "foreign") else str(exc)) from None
    except (ValueError, KeyError, TypeError):
        raise ResumeError(damaged) from None
    try:
        weights, optimizer_state, state = read_checkpoint(run_dir)
        episodes = read_episodes(run_dir)
        evaluations = read_evals(run_dir)
    except RunFileError as exc:
        raise ResumeError(str(exc)) from None
    if state.get("game") != config.game:
        raise ResumeError(f"checkpoint is for '{state.get('game')}' but the run's config says '{config.game}'")
    returns = episodes["return"]
    window = config.target_window
    best = float(moving_average(returns, window)[window - 1 :].max()) if len(returns) >= window else None
    point = ResumePoint(
        run_dir=run_dir,
        weights=weights,
        optimizer_state=optimizer_state,
        state=state,
        episodes=len(returns),
        recent_returns=[float(r) for r in returns[-window:]],
        best_average=best,
        best_evaluation=float(evaluations["mean"].max()) if len(evaluations["mean"]) else None,
        best_kept=kept_score(run_dir),
    )
    return config, saved, point


def kept_score(run_dir: Path) -> float | None:
    """The score best/ was kept with, so that a resumed run replaces it only with better weights; None where best/ is
    missing or unreadable (the next evaluation then takes its place: evaluating and `--eval --best` report damage)."""
    try:
        score = read_checkpoint(run_dir, BEST_DIR).state.get("eval_mean")
    except RunFileError:
        return None
    return float(score) if isinstance(score, (int, float)) else None
