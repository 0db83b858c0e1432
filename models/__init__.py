"""Keras subclassed actor-critic networks and the factory that picks one for a game."""

from models.actors import Actor, GraphActor, NumpyMLPActor, make_actor
from models.factory import build_model
from models.mlp import MLPActorCritic

__all__ = ["Actor", "GraphActor", "NumpyMLPActor", "make_actor", "build_model", "MLPActorCritic"]
