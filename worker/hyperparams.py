"""The settings that decide what a worker computes.

The defaults here are the kind-independent ones, written only here. `t_max` and `envs_per_worker` depend on the
kind of game, so they have no default: `master_agent.config.GameDefaults` holds them per kind.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Hyperparams:
    gamma: float = 0.99
    t_max: int  # steps per environment per update
    envs_per_worker: int  # environments a worker steps side by side, acting for all in one call
    entropy_beta: float = 0.01
    value_coef: float = 0.5
    max_grad_norm: float = 40.0
    # Clip to [-1, 1] for the loss only (Atari); logged returns stay real. A new run takes the kind's value
    # (GameDefaults.clip_rewards); False is what a config saved before the setting existed means (classic games).
    clip_rewards: bool = False
