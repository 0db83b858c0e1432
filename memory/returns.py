"""n-step discounted returns with gymnasium's terminated / truncated distinction."""

from __future__ import annotations

import numpy as np


def n_step_returns(
    rewards: np.ndarray,
    terminated: np.ndarray,
    truncated: np.ndarray,
    final_values: np.ndarray,
    last_values: np.ndarray,
    gamma: float,
) -> np.ndarray:
    """R_t = r_t + gamma * R_{t+1}, computed backwards over a [T, E] rollout.

    Where an episode ends at step t the chain is cut: a *terminated* episode bootstraps from 0, a
    *truncated* one (time limit) from `final_values[t]`, the value of its final observation, because
    the state itself was not terminal. The step after the rollout bootstraps from `last_values`
    (V of the observation the rollout was cut at). Rewards are never rewritten.
    """
    returns = np.empty_like(rewards, dtype=np.float32)
    next_return = last_values.astype(np.float32)
    for t in range(rewards.shape[0] - 1, -1, -1):
        bootstrap = np.where(terminated[t], 0.0, np.where(truncated[t], final_values[t], next_return))
        next_return = rewards[t] + gamma * bootstrap
        returns[t] = next_return
    return returns
