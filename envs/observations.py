"""What each observation space becomes for the networks (DESIGN.md, "Environments and spaces"), made of gymnasium's
own wrappers and space utilities so that training, evaluation and export all see the same arrays:

- an image (a uint8 Box of rank 3 with bounds 0..255, as SB3 also tells images apart; 1 or 3 channels last, e.g.
  CarRacing's 96x96x3): grayscale, 84x84, the last 4 frames stacked, [4, 84, 84] uint8, or one frame, [84, 84],
  for the CNN + LSTM: the frames the Atari preprocessing makes, so the same CNNs take them;
- a Box vector: as it is, in float32;
- Discrete and MultiDiscrete: one-hot; MultiBinary: 0/1; a Box of another rank: flattened; Dict and Tuple of these:
  flattened and concatenated (`gymnasium.spaces.flatten_space`); all float32, for the MLP.

Anything else (Text, Graph, Sequence, OneOf, an image inside a Dict, an image of 4 channels, ...) no network here
takes: `unsupported` says what, in words for one error line.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.wrappers import (
    FlattenObservation,
    FrameStackObservation,
    GrayscaleObservation,
    ReshapeObservation,
    ResizeObservation,
    TransformObservation,
)

from envs.atari import FRAME_SIZE

# What the networks take, for the error line about anything else.
SUPPORTED = (
    "the networks take Box vectors or images (an image only as the whole observation), Discrete, MultiDiscrete, "
    "MultiBinary, and Dict or Tuple of these"
)
IMAGE_CHANNELS = (1, 3)  # grayscale or RGB, channels last


class UnsupportedObservations(ValueError):
    """Observations no network here takes; the message follows the game's name (`envs.registry` adds it)."""


def looks_like_image(space: gym.Space) -> bool:
    return (
        isinstance(space, spaces.Box)
        and space.dtype == np.uint8
        and len(space.shape) == 3
        and bool(np.all(space.low == 0))
        and bool(np.all(space.high == 255))
    )


def is_image(space: gym.Space) -> bool:
    """Observations the CNNs take (after `wrap_observations`)."""
    return looks_like_image(space) and space.shape[-1] in IMAGE_CHANNELS


def describe(space: gym.Space) -> str:
    """A space in a few words on one line (a Box's repr can hold whole arrays of bounds)."""
    if isinstance(space, spaces.Box):
        return f"{'image ' * looks_like_image(space)}Box{space.shape} {space.dtype}"
    return type(space).__name__


def _first_unsupported(space: gym.Space, path: str) -> tuple[str, gym.Space] | None:
    """(where, which space) of the first part of `space` that cannot be flattened into a vector, or None.
    (gymnasium's Box holds only integers, floats and bools: every Box flattens.)"""
    if isinstance(space, spaces.Box):
        return (path, space) if path and looks_like_image(space) else None
    if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        return None
    if isinstance(space, spaces.Dict):
        parts = space.spaces.items()
    elif isinstance(space, spaces.Tuple):
        parts = enumerate(space.spaces)
    else:
        return path, space
    for key, part in parts:
        found = _first_unsupported(part, f"{path}[{key!r}]")
        if found is not None:
            return found
    return None


def unsupported(space: gym.Space) -> str | None:
    """Why no network here takes `space`'s observations, as words to follow a game's name; None if one does."""
    if looks_like_image(space) and not is_image(space):
        return f"has {describe(space)} observations: an image needs 1 (grayscale) or 3 (RGB) channels, last"
    found = _first_unsupported(space, "")
    if found is None:
        return None
    path, part = found
    if not path:
        return f"has {describe(space)} observations; {SUPPORTED}"
    return f"has {describe(space)} observations whose {path} is {describe(part)}; {SUPPORTED}"


def wrap_observations(env: gym.Env, frame_stack: int) -> gym.Env:
    """`env` with its observations as the networks take them: images preprocessed and `frame_stack` frames
    stacked (1: one frame, for the CNN + LSTM), everything else a float32 vector; UnsupportedObservations if none
    of these fits."""
    space = env.observation_space
    reason = unsupported(space)
    if reason is not None:
        raise UnsupportedObservations(reason)
    if is_image(space):
        env = GrayscaleObservation(env) if space.shape[-1] == 3 else ReshapeObservation(env, space.shape[:2])
        env = ResizeObservation(env, (FRAME_SIZE, FRAME_SIZE))
        return FrameStackObservation(env, frame_stack) if frame_stack > 1 else env
    if not (isinstance(space, spaces.Box) and len(space.shape) == 1):
        env = FlattenObservation(env)  # one-hot for Discrete and MultiDiscrete, 0/1 for MultiBinary
    flat = env.observation_space
    if flat.dtype != np.float32:
        # DtypeObservation would do, but warns for every environment that float64 bounds lose precision in float32:
        # the precision the networks give up anyway.
        low, high = flat.low.astype(np.float32), flat.high.astype(np.float32)
        float32 = spaces.Box(low, high, flat.shape, np.float32)
        env = TransformObservation(env, lambda obs: np.asarray(obs, dtype=np.float32), float32)
    return env
