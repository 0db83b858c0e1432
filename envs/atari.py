"""Atari through ale-py with the A3C paper's preprocessing (DESIGN.md, "Environments").

Up to 30 no-op actions at reset, each action repeated for 4 frames with the last two max-pooled, 84x84 grayscale.
Episodes are whole games (all lives), so the logged return is the real score. Sticky actions stay as ale-py's v5
ids define them (repeat_action_probability 0.25). Reward clipping is the worker's business (for the loss only).

Two implementations of the same preprocessing, frame for frame (`tests/test_atari_vector.py` holds them to it):
- training steps a worker's environments with ale-py's `AtariVectorEnv`, a C++ thread pool that emulates and
  preprocesses a whole batch with the GIL released, so one worker's emulators run while another's network does;
- evaluation, `--eval` and `--record` play one game with gymnasium's `AtariPreprocessing` (it can render the
  full-colour screen a recording shows). Constructor arguments the vector env does not take (`mode`,
  `difficulty`) send training to these wrappers too.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorObservationWrapper
from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation

FRAME_STACK = 4
FRAME_SIZE = 84  # frames are FRAME_SIZE x FRAME_SIZE grayscale, what the CNNs take (models/cnn.py)
NOOP_MAX = 30
FRAME_SKIP = 4
# The registration's arguments `AtariVectorEnv` takes as they are; `game` names the ROM, `frameskip` and
# `obs_type` are replaced by the preprocessing (4 frames max-pooled, grayscale).
VECTOR_KWARGS = ("repeat_action_probability", "full_action_space", "max_num_frames_per_episode")
REPLACED_KWARGS = ("game", "frameskip", "obs_type")


def make_atari_env(
    game_id: str, frame_stack: int, render_mode: str | None = None, env_kwargs: dict | None = None
) -> gym.Env:
    """`render_mode="rgb_array"`: `render()` gives the full-colour screen (what a recording shows); the
    observations are the same preprocessed frames either way. `env_kwargs` go to ale-py's `AtariEnv` (e.g.
    `repeat_action_probability`, `mode`, `difficulty`); `frameskip` is the preprocessing's, so it cannot be one."""
    env = gym.make(game_id, frameskip=1, render_mode=render_mode, **(env_kwargs or {}))
    env = AtariPreprocessing(
        env, noop_max=NOOP_MAX, frame_skip=FRAME_SKIP, screen_size=FRAME_SIZE, terminal_on_life_loss=False
    )
    if frame_stack > 1:
        env = FrameStackObservation(env, frame_stack, padding_type="zero")  # as the vector env pads a new game
    return env


def vector_kwargs(game_id: str, env_kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The game's registered arguments with the user's, as `AtariVectorEnv` takes them; None where one of them is
    not one it takes (then training uses `make_atari_env`'s wrappers)."""
    kwargs = {**gym.spec(game_id).kwargs, **env_kwargs}
    if any(key not in VECTOR_KWARGS + REPLACED_KWARGS for key in kwargs):
        return None
    return {"game": kwargs["game"], **{key: kwargs[key] for key in VECTOR_KWARGS if key in kwargs}}


def make_atari_vector_env(
    game_id: str, num_envs: int, frame_stack: int, env_kwargs: dict[str, Any], num_threads: int = 1
) -> VectorEnv | None:
    """`num_envs` games stepped by `num_threads` C++ threads, in NEXT_STEP autoreset mode; None where the
    constructor arguments need the gymnasium wrappers. Rewards are the real ones (the worker clips for the loss),
    and no FIRE is pressed at reset (the wrappers do not press it either)."""
    from ale_py.vector_env import AtariVectorEnv  # ale-py is imported only for Atari games

    kwargs = vector_kwargs(game_id, env_kwargs)
    if kwargs is None:
        return None
    env = AtariVectorEnv(
        kwargs.pop("game"),
        num_envs,
        num_threads=num_threads,
        autoreset_mode=AutoresetMode.NEXT_STEP,
        img_height=FRAME_SIZE,
        img_width=FRAME_SIZE,
        stack_num=frame_stack,
        frameskip=FRAME_SKIP,
        maxpool=True,
        noop_max=NOOP_MAX,
        reward_clipping=False,
        use_fire_reset=False,
        **kwargs,
    )
    return SingleFrames(env) if frame_stack == 1 else env


class SingleFrames(VectorObservationWrapper):
    """[E, 1, 84, 84] -> [E, 84, 84]: one frame per environment, the shape `AtariPreprocessing` gives the
    CNN + LSTM."""

    def __init__(self, env: VectorEnv) -> None:
        super().__init__(env)
        self.single_observation_space = gym.spaces.Box(0, 255, env.single_observation_space.shape[1:], np.uint8)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, env.num_envs)

    def observations(self, observations: np.ndarray) -> np.ndarray:
        return observations[:, 0]
