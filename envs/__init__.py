"""Environment creation: game-name resolution, the environment as training sees it, batched (vector) environments,
and gymnasium's API checker before a run."""

from envs.checker import check_environment
from envs.make import make_env
from envs.registry import GameError, GameSpec, game_id_of, has_tf_env, resolve_game
from envs.vector import make_vector_env

__all__ = [
    "GameError",
    "GameSpec",
    "check_environment",
    "game_id_of",
    "has_tf_env",
    "make_env",
    "make_vector_env",
    "resolve_game",
]
