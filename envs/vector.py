"""Batched environments for one worker, always in gymnasium's NEXT_STEP autoreset mode.

NEXT_STEP keeps the final observation of an episode (needed to bootstrap a truncated episode) as the
ordinary `obs` of the step that ended it; the following step is a reset step whose action is ignored,
which the rollout marks invalid. Classic-control games with a NumPy vector implementation (CartPole)
step all environments in one call.
"""

from __future__ import annotations

import gymnasium as gym
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv

from envs.atari import FRAME_STACK, make_atari_env
from envs.registry import GameSpec


def make_vector_env(game: GameSpec, num_envs: int, recurrent: bool = False) -> VectorEnv:
    """`recurrent`: Atari frames one at a time (the LSTM remembers); otherwise a stack of 4."""
    if game.is_atari:
        stack = 1 if recurrent else FRAME_STACK
        env: VectorEnv = SyncVectorEnv(
            [lambda: make_atari_env(game.game_id, stack) for _ in range(num_envs)],
            autoreset_mode=AutoresetMode.NEXT_STEP,
        )
    elif gym.spec(game.game_id).vector_entry_point is not None:
        env = gym.make_vec(game.game_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
    else:
        env = gym.make_vec(
            game.game_id,
            num_envs=num_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": AutoresetMode.NEXT_STEP},
        )
    mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if mode != AutoresetMode.NEXT_STEP:
        env.close()
        raise RuntimeError(f"{game.game_id}: vector env uses {mode}, the rollout expects NEXT_STEP")
    return env
