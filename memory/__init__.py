"""Rollout memory: what a worker keeps of its last t_max steps, and the batch the gradient takes."""

from memory.rollout import Rollout, RolloutBatch

__all__ = ["Rollout", "RolloutBatch"]
