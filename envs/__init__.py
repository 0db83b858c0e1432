"""Environment creation: game-name resolution and batched (vector) environments."""

from envs.registry import GameError, GameSpec, has_tf_env, resolve_game
from envs.vector import make_vector_env

__all__ = ["GameError", "GameSpec", "has_tf_env", "resolve_game", "make_vector_env"]
