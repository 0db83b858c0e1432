"""One environment as training sees it: the game made with its constructor arguments, then its observations as the
networks take them (Atari preprocessing, or `envs.observations`). Training (`envs.vector`), evaluation during
training and `--eval` / `--record` (`evaluate.player`) all make theirs here, so they cannot drift apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gymnasium as gym

from envs.atari import FRAME_STACK, make_atari_env
from envs.observations import wrap_observations

if TYPE_CHECKING:
    from envs.registry import GameSpec


def make_env(game: GameSpec, recurrent: bool = False, render_mode: str | None = None) -> gym.Env:
    """`recurrent`: image frames one at a time (the LSTM remembers); otherwise a stack of 4. `render_mode`
    "rgb_array": `render()` gives the game's full-colour picture (what a recording shows); the observations are the
    same either way."""
    return build_env(game.full_id, game.is_atari, game.env_kwargs, recurrent, render_mode)


def build_env(
    make_id: str,
    is_atari: bool,
    env_kwargs: dict[str, Any],
    recurrent: bool = False,
    render_mode: str | None = None,
) -> gym.Env:
    """`make_env` from its parts, for `envs.registry.resolve_game` before a `GameSpec` exists. `make_id` is what
    `gym.make` takes (`module:EnvId-v0` imports the module first)."""
    frame_stack = 1 if recurrent else FRAME_STACK
    if is_atari:
        return make_atari_env(make_id, frame_stack, render_mode, env_kwargs)
    render = {} if render_mode is None else {"render_mode": render_mode}  # an env need not take the argument
    # gymnasium's full checker ran once before training (envs.checker); its passive copy on every env adds nothing.
    env = gym.make(make_id, disable_env_checker=True, **render, **env_kwargs)
    try:
        return wrap_observations(env, frame_stack)
    except BaseException:
        env.close()
        raise
