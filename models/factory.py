"""Pick and build the network for a game's observation space."""

from __future__ import annotations

import keras
import numpy as np

from models.mlp import MLPActorCritic


class ModelError(ValueError):
    """A network choice that does not fit the game (e.g. `--cnn-lstm` on vector observations)."""


def build_model(obs_shape: tuple[int, ...], n_actions: int, name: str = "actor_critic") -> keras.Model:
    """Create the network and its variables now, so no worker thread ever creates one."""
    if len(obs_shape) != 1:
        raise ModelError(f"observations of shape {obs_shape} need an image network, not available yet")
    model = MLPActorCritic(n_actions, name=name)
    model(np.zeros((1, *obs_shape), dtype=np.float32))
    return model
