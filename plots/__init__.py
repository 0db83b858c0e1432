"""Reward curves: draw one or several runs' `episodes.csv` (as `rundir.read_episodes` reads them)."""

from plots.curves import X_AXES, display_available, draw_reward_curves, moving_average, read_target_reward

__all__ = ["X_AXES", "display_available", "draw_reward_curves", "moving_average", "read_target_reward"]
