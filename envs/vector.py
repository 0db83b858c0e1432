"""Batched environments for one worker, always in gymnasium's NEXT_STEP autoreset mode.

NEXT_STEP keeps the final observation of an episode (needed to bootstrap a truncated episode) as the
ordinary `obs` of the step that ended it; the following step is a reset step whose action is ignored,
which the rollout marks invalid. Atari games (ale-py's C++ vector env) and classic-control games with a NumPy
vector implementation (CartPole) step all environments in one call.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv

from envs.atari import FRAME_STACK, make_atari_vector_env
from envs.make import make_env
from envs.registry import GameSpec


def make_vector_env(game: GameSpec, num_envs: int, recurrent: bool = False) -> VectorEnv:
    """`num_envs` environments as `envs.make.make_env` makes them; `recurrent`: image frames one at a time (the
    LSTM remembers), otherwise a stack of 4."""
    atari = None
    if game.is_atari:  # ale-py's C++ vector env, where the game's constructor arguments allow
        atari = make_atari_vector_env(game.full_id, num_envs, 1 if recurrent else FRAME_STACK, game.env_kwargs)
    if atari is not None:
        env: VectorEnv = atari
    elif _vector_entry_point_fits(game):
        env = gym.make_vec(game.full_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **game.env_kwargs)
    else:
        env = SyncVectorEnv(
            [lambda: make_env(game, recurrent) for _ in range(num_envs)], autoreset_mode=AutoresetMode.NEXT_STEP
        )
    mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if mode != AutoresetMode.NEXT_STEP:
        env.close()
        raise RuntimeError(f"{game.game_id}: vector env uses {mode}, the rollout expects NEXT_STEP")
    return env


def _vector_entry_point_fits(game: GameSpec) -> bool:
    """The game's own vector env (NumPy, all environments in one call) where its observations need no wrapper:
    float32 vectors, taken as they are."""
    space = game.observation_space
    return (
        not game.is_atari
        and game.registration().vector_entry_point is not None
        and isinstance(space, spaces.Box)
        and len(space.shape) == 1
        and space.dtype == np.float32
    )
