"""Build the network the run asked for: an MLP for vector observations, a CNN or CNN + LSTM for image frames."""

from __future__ import annotations

import numpy as np

from models.base import ActorCritic
from models.cnn import CNNActorCritic, CNNLSTMActorCritic
from models.distributions import Distribution
from models.mlp import MLPActorCritic

NETWORKS: dict[str, type[ActorCritic]] = {"mlp": MLPActorCritic, "cnn": CNNActorCritic, "cnn_lstm": CNNLSTMActorCritic}
# The observation each network takes, after the game's preprocessing: its rank, for one clear error.
OBSERVATION_RANK = {"mlp": 1, "cnn": 3, "cnn_lstm": 2}


class ModelError(ValueError):
    """Observations the chosen network does not take."""


def choose_network(image_game: bool, cnn_lstm: bool) -> str:
    """What the user asked for: image games get the CNN (on 4 stacked frames) or, with --cnn-lstm, the CNN +
    LSTM (one frame per step); every other game the MLP."""
    if image_game:
        return "cnn_lstm" if cnn_lstm else "cnn"
    return "mlp"


def network_of(class_name: str | None, image_game: bool, cnn_lstm: bool) -> str:
    """The network a saved run trained: from the class name its config.json records, else as `choose_network`."""
    for name, cls in NETWORKS.items():
        if cls.__name__ == class_name:
            return name
    return choose_network(image_game, cnn_lstm)


def build_model(
    network: str,
    obs_shape: tuple[int, ...],
    distribution: Distribution,
    name: str = "actor_critic",
    conv_activation: str = "relu",
    layer_norm: bool = False,
) -> ActorCritic:
    """Create `network` with all its variables (one call on a dummy batch), so no worker thread creates one.
    `conv_activation`, `layer_norm`: the image networks' (`models.cnn.ConvTrunk`); the MLP has neither."""
    if len(obs_shape) != OBSERVATION_RANK[network]:
        raise ModelError(
            f"the {NETWORKS[network].__name__} takes observations of rank {OBSERVATION_RANK[network]}, "
            f"not of shape {tuple(obs_shape)}"
        )
    cls = NETWORKS[network]
    extra = {"activation": conv_activation, "layer_norm": layer_norm} if cls.convolutional else {}
    model = cls(distribution, name=name, **extra)
    model(np.zeros((1, *obs_shape), dtype=np.float32))
    return model
