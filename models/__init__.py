"""Keras subclassed actor-critic networks, the factory that picks one, and the actors that run them."""

from models.actors import Actor, GraphActor, NumpyMLPActor, make_actor
from models.base import ActorCritic, State, zero_state_rows
from models.cnn import CNNActorCritic, CNNLSTMActorCritic
from models.factory import ModelError, build_model
from models.mlp import MLPActorCritic

__all__ = [
    "Actor", "GraphActor", "NumpyMLPActor", "make_actor", "ActorCritic", "State", "zero_state_rows",
    "CNNActorCritic", "CNNLSTMActorCritic", "ModelError", "build_model", "MLPActorCritic",
]
