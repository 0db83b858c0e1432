"""n-step discounted returns with gymnasium's terminated / truncated distinction."""

from __future__ import annotations

import tensorflow as tf


def n_step_returns(rewards, terminated, truncated, final_values, last_values, gamma: float) -> tf.Tensor:
    """R_t = r_t + gamma * R_{t+1}, computed backwards over a [T, E] rollout (T static).

    Where an episode ends at step t the chain is cut: a *terminated* episode bootstraps from 0, a
    *truncated* one (time limit) from `final_values[t]`, the value of its final observation, because
    the state itself was not terminal. The step after the rollout bootstraps from `last_values`
    (V of the observation the rollout was cut at). Rewards are never rewritten.
    TensorFlow ops, so that a worker computes its returns inside its gradient graph; eager calls with
    NumPy arrays work too.
    """
    rewards = tf.convert_to_tensor(rewards, tf.float32)
    final_values = tf.convert_to_tensor(final_values, tf.float32)
    next_return = tf.convert_to_tensor(last_values, tf.float32)
    returns = []
    for t in range(rewards.shape[0] - 1, -1, -1):
        bootstrap = tf.where(terminated[t], 0.0, tf.where(truncated[t], final_values[t], next_return))
        next_return = rewards[t] + gamma * bootstrap
        returns.append(next_return)
    return tf.stack(returns[::-1])
