"""Rollout storage and the n-step discounted returns computed from it."""

from memory.returns import n_step_returns
from memory.rollout import Rollout

__all__ = ["n_step_returns", "Rollout"]
