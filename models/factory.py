"""Pick and build the network from the shape of the (preprocessed) observations."""

from __future__ import annotations

import numpy as np

from models.base import ActorCritic
from models.cnn import CNNActorCritic, CNNLSTMActorCritic
from models.mlp import MLPActorCritic


class ModelError(ValueError):
    """Observations no network here takes."""


def build_model(obs_shape: tuple[int, ...], n_actions: int, name: str = "actor_critic") -> ActorCritic:
    """[features] -> MLP; [84, 84] (one frame) -> CNN + LSTM; [4, 84, 84] (frame stack) -> CNN.

    The variables are created here, so no worker thread ever creates one.
    """
    if len(obs_shape) == 1:
        model: ActorCritic = MLPActorCritic(n_actions, name=name)
    elif len(obs_shape) == 2:
        model = CNNLSTMActorCritic(n_actions, name=name)
    elif len(obs_shape) == 3:
        model = CNNActorCritic(n_actions, name=name)
    else:
        raise ModelError(f"no network for observations of shape {obs_shape}")
    model(np.zeros((1, *obs_shape), dtype=np.float32))
    return model
