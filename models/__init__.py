"""Keras subclassed actor-critic networks, their policy distributions, the factory and the actors that run them."""

from models.actors import Actor, GraphActor, NumpyMLPActor, make_actor
from models.base import ActorCritic, State, zero_state_rows
from models.cnn import CNNActorCritic, CNNLSTMActorCritic
from models.distributions import Categorical, Distribution, UnsupportedSpace, make_distribution
from models.factory import NETWORKS, ModelError, build_model, choose_network, network_of
from models.mlp import MLPActorCritic

__all__ = [
    "Actor",
    "GraphActor",
    "NumpyMLPActor",
    "make_actor",
    "ActorCritic",
    "State",
    "zero_state_rows",
    "CNNActorCritic",
    "CNNLSTMActorCritic",
    "Categorical",
    "Distribution",
    "UnsupportedSpace",
    "make_distribution",
    "NETWORKS",
    "ModelError",
    "build_model",
    "choose_network",
    "network_of",
    "MLPActorCritic",
]
