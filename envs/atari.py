"""Atari through ale-py with the A3C paper's preprocessing (DESIGN.md, "Environments").

Base env with `frameskip=1`, then gymnasium's `AtariPreprocessing`: up to 30 no-op actions at reset, the
action repeated for 4 frames with the last two max-pooled, 84x84 grayscale. Episodes are whole games (all
lives), so the logged return is the real score. Sticky actions stay as ale-py's v5 ids define them
(repeat_action_probability 0.25). Reward clipping is the worker's business (for the loss only).
"""

from __future__ import annotations

import gymnasium as gym
from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation

FRAME_STACK = 4
FRAME_SIZE = 84  # frames are FRAME_SIZE x FRAME_SIZE grayscale, what the CNNs take (models/cnn.py)


def make_atari_env(
    game_id: str, frame_stack: int, render_mode: str | None = None, env_kwargs: dict | None = None
) -> gym.Env:
    """`render_mode="rgb_array"`: `render()` gives the full-colour screen (what a recording shows); the
    observations are the same preprocessed frames either way. `env_kwargs` go to ale-py's `AtariEnv` (e.g.
    `repeat_action_probability`, `mode`, `difficulty`); `frameskip` is the preprocessing's, so it cannot be one."""
    env = gym.make(game_id, frameskip=1, render_mode=render_mode, **(env_kwargs or {}))
    env = AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=FRAME_SIZE, terminal_on_life_loss=False)
    if frame_stack > 1:
        env = FrameStackObservation(env, frame_stack)
    return env
