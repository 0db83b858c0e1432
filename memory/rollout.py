"""Fixed-size [t_max, E] arrays for one rollout: allocated once per worker, reused every update."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from models.distributions import Distribution


class RolloutBatch(NamedTuple):
    """One rollout as the gradient takes it (`worker.core.a3c_gradients`): [T, E, ...] per step, then the value
    of the observation the rollout was cut at [E] and a recurrent network's state at its start."""

    obs: tf.Tensor
    actions: tf.Tensor
    rewards: tf.Tensor
    terminated: tf.Tensor
    truncated: tf.Tensor
    valid: tf.Tensor
    final_values: tf.Tensor
    starts: tf.Tensor
    last_values: tf.Tensor
    state0: tuple


class Rollout:
    """One rollout of `t_max` steps of `num_envs` environments.

    `valid[t]` is False on a vector env's reset step (the step after an episode ended in NEXT_STEP
    autoreset mode), whose action is ignored by the env; such steps carry no transition and take no
    part in the loss. `final_values[t]` holds V(final observation) where an episode was truncated at t.
    `starts[t]` marks observations that begin an episode, and `state0` is a recurrent network's state
    at the start of the rollout: together they let the gradient replay the rollout exactly.
    """

    def __init__(
        self, t_max: int, num_envs: int, obs_shape: tuple[int, ...], obs_dtype, distribution: Distribution
    ) -> None:
        self.t_max = t_max
        self.obs = np.zeros((t_max, num_envs, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros((t_max, num_envs, *distribution.action_shape), dtype=distribution.action_dtype)
        self.rewards = np.zeros((t_max, num_envs), dtype=np.float32)
        self.terminated = np.zeros((t_max, num_envs), dtype=bool)
        self.truncated = np.zeros((t_max, num_envs), dtype=bool)
        self.valid = np.zeros((t_max, num_envs), dtype=bool)
        self.final_values = np.zeros((t_max, num_envs), dtype=np.float32)
        self.starts = np.zeros((t_max, num_envs), dtype=bool)
        self.state0: tuple[np.ndarray, ...] = ()

    def batch(self, last_values: np.ndarray) -> RolloutBatch:
        return RolloutBatch(
            self.obs,
            self.actions,
            self.rewards,
            self.terminated,
            self.truncated,
            self.valid,
            self.final_values,
            self.starts,
            last_values,
            self.state0,
        )

    @staticmethod
    def spec(t_max: int, obs_spec: tf.TensorSpec, action_spec: tf.TensorSpec, state_specs: tuple) -> RolloutBatch:
        """The input signature of a gradient function that takes a `batch` (E left open)."""

        def per_step(dtype, spec: tf.TensorSpec | None = None) -> tf.TensorSpec:
            inner = spec.shape[1:] if spec is not None else []
            return tf.TensorSpec([t_max, None, *inner], spec.dtype if spec is not None else dtype)

        return RolloutBatch(
            obs=per_step(None, obs_spec),
            actions=per_step(None, action_spec),
            rewards=per_step(tf.float32),
            terminated=per_step(tf.bool),
            truncated=per_step(tf.bool),
            valid=per_step(tf.bool),
            final_values=per_step(tf.float32),
            starts=per_step(tf.bool),
            last_values=tf.TensorSpec([None], tf.float32),
            state0=tuple(state_specs),
        )
