"""Reward curves: read a run's `episodes.csv`, draw one or several runs."""

from plots.curves import EPISODE_COLUMNS, CurveError, draw_reward_curves, moving_average, read_episodes

__all__ = ["EPISODE_COLUMNS", "CurveError", "draw_reward_curves", "moving_average", "read_episodes"]
