"""Fixed-size [t_max, E] arrays for one rollout: allocated once per worker, reused every update."""

from __future__ import annotations

import numpy as np


class Rollout:
    """One rollout of `t_max` steps of `num_envs` environments.

    `valid[t]` is False on a vector env's reset step (the step after an episode ended in NEXT_STEP
    autoreset mode), whose action is ignored by the env; such steps carry no transition and take no
    part in the loss. `final_values[t]` holds V(final observation) where an episode was truncated at t.
    `starts[t]` marks observations that begin an episode, and `state0` is a recurrent network's state
    at the start of the rollout: together they let the gradient replay the rollout exactly.
    """

    def __init__(self, t_max: int, num_envs: int, obs_shape: tuple[int, ...], obs_dtype=np.float32) -> None:
        self.t_max = t_max
        self.obs = np.zeros((t_max, num_envs, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros((t_max, num_envs), dtype=np.int32)
        self.rewards = np.zeros((t_max, num_envs), dtype=np.float32)
        self.terminated = np.zeros((t_max, num_envs), dtype=bool)
        self.truncated = np.zeros((t_max, num_envs), dtype=bool)
        self.valid = np.zeros((t_max, num_envs), dtype=bool)
        self.final_values = np.zeros((t_max, num_envs), dtype=np.float32)
        self.starts = np.zeros((t_max, num_envs), dtype=bool)
        self.state0: tuple[np.ndarray, ...] = ()

    def flat(self, name: str) -> np.ndarray:
        """[t_max, E, ...] -> [t_max * E, ...], the batch layout the loss takes."""
        array = getattr(self, name)
        return array.reshape((-1, *array.shape[2:]))
