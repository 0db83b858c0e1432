"""The settings that decide what a worker computes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hyperparams:
    gamma: float = 0.99
    t_max: int = 5  # steps per environment per update
    envs_per_worker: int = 16  # environments a worker steps side by side, acting for all in one call
    entropy_beta: float = 0.01
    value_coef: float = 0.5
    max_grad_norm: float = 40.0
    clip_rewards: bool = False  # clip to [-1, 1] for the loss only (Atari); logged returns stay real
