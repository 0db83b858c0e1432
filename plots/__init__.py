"""Reward curves: read a run's `episodes.csv`, draw one or several runs."""

from plots.curves import (
    EPISODE_COLUMNS,
    X_AXES,
    CurveError,
    display_available,
    draw_reward_curves,
    moving_average,
    read_episodes,
    read_target_reward,
)

__all__ = [
    "EPISODE_COLUMNS", "X_AXES", "CurveError", "display_available", "draw_reward_curves", "moving_average",
    "read_episodes", "read_target_reward",
]
