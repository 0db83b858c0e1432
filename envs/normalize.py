"""Observation and reward normalization with running statistics, as SB3's VecNormalize does it.

Observations: (obs - mean) / sqrt(var + eps), clipped to +-10. Rewards: divided by the standard deviation of the
discounted return (not centred: a shift would change which episodes are worth ending), clipped to +-10; the
logged episode returns stay the game's real ones.

One set of statistics is global state, like the weights (DESIGN.md, "Environments and spaces"): the master holds
it and checkpoints it; a worker normalizes a whole rollout with the snapshot it pulled with the weights, and sends
back the moments of the raw observations and returns it saw, which the master merges (the parallel-variance
algorithm of gymnasium's `RunningMeanStd`) when it applies the update. Thread and Ray workers thus share the same
statistics without a lock around every step, and evaluation applies a frozen copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium.wrappers.utils import RunningMeanStd

CLIP = 10.0
EPSILON = 1e-8


@dataclass(frozen=True)
class Moments:
    """What a rollout saw, raw: [count, mean, var] of its observations and of its discounted returns."""

    obs: tuple[int, np.ndarray, np.ndarray] | None
    returns: tuple[int, np.ndarray, np.ndarray] | None


def moments_of(samples: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Moments of a batch of samples (rows)."""
    samples = np.asarray(samples, np.float64)
    return len(samples), samples.mean(axis=0), samples.var(axis=0)


class Normalizer:
    """Running mean and variance of observations and/or discounted returns, and what they do to a batch."""

    def __init__(self, obs_shape: tuple[int, ...], obs: bool, reward: bool) -> None:
        self.obs_rms = RunningMeanStd(shape=obs_shape) if obs else None
        self.ret_rms = RunningMeanStd(shape=()) if reward else None

    def observations(self, obs: np.ndarray) -> np.ndarray:
        if self.obs_rms is None:
            return obs
        scaled = (obs - self.obs_rms.mean) / np.sqrt(self.obs_rms.var + EPSILON)
        return np.clip(scaled, -CLIP, CLIP).astype(np.float32)

    def rewards(self, rewards: np.ndarray) -> np.ndarray:
        if self.ret_rms is None:
            return rewards
        return np.clip(rewards / np.sqrt(self.ret_rms.var + EPSILON), -CLIP, CLIP).astype(np.float32)

    def merge(self, moments: Moments | None) -> None:
        """Fold a rollout's moments into the statistics (the caller serializes merges: the optimizer's lock)."""
        if moments is None:
            return
        for rms, part in ((self.obs_rms, moments.obs), (self.ret_rms, moments.returns)):
            if rms is not None and part is not None and part[0] > 0:
                count, mean, var = part
                rms.update_from_moments(mean, var, count)

    def state(self) -> dict:
        """The statistics as JSON (a checkpoint's state): {"obs": {mean, var, count}, "returns": {...}}."""

        def one(rms: RunningMeanStd | None) -> dict | None:
            if rms is None:
                return None
            return {"mean": np.asarray(rms.mean).tolist(), "var": np.asarray(rms.var).tolist(), "count": rms.count}

        return {"obs": one(self.obs_rms), "returns": one(self.ret_rms)}

    def load_state(self, state: dict) -> None:
        """Take `state()` of another normalizer with the same settings (a pull, or a checkpoint's)."""
        for rms, saved in ((self.obs_rms, state.get("obs")), (self.ret_rms, state.get("returns"))):
            if rms is not None and saved is not None:
                mean = np.asarray(saved["mean"], np.float64)
                if mean.shape != np.shape(rms.mean):
                    raise ValueError(f"normalizer statistics of shape {mean.shape}, expected {np.shape(rms.mean)}")
                rms.mean, rms.var, rms.count = mean, np.asarray(saved["var"], np.float64), float(saved["count"])


class ReturnTracker:
    """Each environment's discounted return so far, whose spread scales the rewards (VecNormalize's `returns`)."""

    def __init__(self, num_envs: int, gamma: float) -> None:
        self.gamma = gamma
        self.running = np.zeros(num_envs, np.float64)

    def step(self, rewards: np.ndarray, done: np.ndarray) -> np.ndarray:
        """Add this step's raw rewards; returns the discounted returns to sample, then restarts ended episodes."""
        self.running = self.running * self.gamma + rewards
        sample = self.running.copy()
        self.running[done] = 0.0
        return sample
