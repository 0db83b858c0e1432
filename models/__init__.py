"""Keras subclassed actor-critic networks and the factory that picks one for a game."""

from models.factory import build_model
from models.mlp import MLPActorCritic

__all__ = ["build_model", "MLPActorCritic"]
