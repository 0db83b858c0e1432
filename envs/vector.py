"""Batched environments for one worker, always in gymnasium's NEXT_STEP autoreset mode.

NEXT_STEP keeps the final observation of an episode (needed to bootstrap a truncated episode) as the
ordinary `obs` of the step that ended it; the following step is a reset step whose action is ignored,
which the rollout marks invalid. Classic-control games with a NumPy vector implementation (CartPole)
step all environments in one call.
"""

from __future__ import annotations

import gymnasium as gym
from gymnasium.vector import AutoresetMode, VectorEnv


def make_vector_env(game_id: str, num_envs: int) -> VectorEnv:
    spec = gym.spec(game_id)
    if spec.vector_entry_point is not None:
        env = gym.make_vec(game_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
    else:
        env = gym.make_vec(
            game_id,
            num_envs=num_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": AutoresetMode.NEXT_STEP},
        )
    mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if mode != AutoresetMode.NEXT_STEP:
        env.close()
        raise RuntimeError(f"{game_id}: vector env uses {mode}, the rollout expects NEXT_STEP")
    return env
