"""gymnasium's environment checker (`gymnasium.utils.env_checker.check_env`) on one instance of a game before it
trains: an environment that breaks the API (reset returning the wrong thing, observations outside the declared
space, a step of 4 values, ...) gets one line now, not a traceback from a worker thread once TensorFlow has loaded.

Measured (2-core machine, one check each, the environment already made): CartPole-v1 1 ms, LunarLander-v3 4 ms,
HalfCheetah-v5 2 ms, CarRacing-v3 0.21 s (each of the checker's resets builds a new track), ale-py's Atari games
0.65 s. ale-py's games are skipped: their `AtariEnv` is known good (ale-py's own tests run this checker on it, and
tests/test_atari.py plays it), and 0.65 s would be the costliest step before TensorFlow loads, on every start and
resume.
"""

from __future__ import annotations

import re
import warnings

import gymnasium as gym
from gymnasium.utils.env_checker import check_env

from envs.registry import ALE_ENTRY_POINT, GameError, GameSpec, entry_module, one_line

# Games whose checker warnings are not the user's to act on: gymnasium's and ale-py's own (CartPole's infinite
# observation bounds, say, are by design). Everyone else's, a user's own environment above all, are shown.
QUIET_PACKAGES = ("gymnasium.envs.", "ale_py")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # gymnasium colours its warnings


def check_environment(game: GameSpec) -> list[str]:
    """Run gymnasium's checker on a fresh instance of `game`; GameError with one line if it fails.

    Returns the checker's warnings, one line each, to show the user, for games other than gymnasium's and
    ale-py's own (theirs: none). They are only warnings: the environment works, but may not do what its author
    meant (an observation of the wrong dtype, a reward that is not a number, infinite bounds)."""
    spec = game.registration()
    if spec.entry_point == ALE_ENTRY_POINT:
        return []
    env = gym.make(game.full_id, disable_env_checker=True, **game.env_kwargs)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # The render check would make an env per declared render mode ("human" opens a window); training never
            # renders, and --record checks the frames it gets. The close check makes one more env, a cheap one.
            check_env(env.unwrapped, skip_render_check=True)
    except AssertionError as exc:  # what the checker asserts, in its words
        raise GameError(f"'{game.full_id}' fails gymnasium's environment checker: {first_line(exc)}") from None
    except Exception as exc:  # the environment raised while it was checked, often after a warning that says why
        why = f" (the checker warned: {warned[-1]})" if (warned := lines_of(caught)) else ""
        raise GameError(f"'{game.full_id}' fails gymnasium's environment checker: {one_line(exc)}{why}") from None
    finally:
        env.close()
    return [] if entry_module(spec).startswith(QUIET_PACKAGES) else lines_of(caught)


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def lines_of(caught: list[warnings.WarningMessage]) -> list[str]:
    """gymnasium's warnings, each once, as plain one-line text."""
    lines: list[str] = []
    for warning in caught:
        text = ANSI.sub("", str(warning.message)).strip().removeprefix("WARN: ")
        line = text.splitlines()[0] if text else ""
        if line and line not in lines:
            lines.append(line)
    return lines
