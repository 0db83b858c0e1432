"""Turn what the user typed (`CartPole-v1`, `SpaceInvaders`, `ALE/Pong-v5`) into a checked game spec."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

# Games whose environments also exist as TensorFlow ops (`envs.cartpole_tf`); max_episode_steps comes from
# the id's registration.
TF_GAMES = ("CartPole-v0", "CartPole-v1")


def has_tf_env(game_id: str) -> bool:
    return game_id in TF_GAMES


class GameError(ValueError):
    """A game the trainer cannot run: unknown id, or an unsupported space."""


@dataclass(frozen=True)
class GameSpec:
    game_id: str
    is_atari: bool
    obs_shape: tuple[int, ...]  # as the game gives them, before preprocessing
    action_space: gym.Space  # the policy's distribution is made from it (`models.make_distribution`)
    reward_threshold: float | None

    def record(self) -> dict:
        """What config.json keeps of the game (the space as its repr: readable, and JSON)."""
        return {
            "game_id": self.game_id,
            "is_atari": self.is_atari,
            "obs_shape": list(self.obs_shape),
            "action_space": repr(self.action_space),
            "reward_threshold": self.reward_threshold,
        }


def _register_atari() -> None:
    try:
        import ale_py
    except ImportError:  # Atari is optional at import time; classic games still work.
        return
    gym.register_envs(ale_py)


def _atari_short_names() -> list[str]:
    return sorted(k[len("ALE/") : -len("-v5")] for k in gym.registry if k.startswith("ALE/") and k.endswith("-v5"))


def canonical_id(name: str) -> str:
    """Registered ids pass through; short Atari names map to their ale-py v5 id."""
    _register_atari()
    if name in gym.registry:
        return name
    if f"ALE/{name}-v5" in gym.registry:
        return f"ALE/{name}-v5"
    candidates = list(gym.registry) + _atari_short_names()
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.5)
    if not close:  # Case slips ("cartpole-v1") are the commonest typo; difflib is case-sensitive.
        lowered = {c.lower(): c for c in candidates}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.5)]
    hint = f"; did you mean: {', '.join(close)}?" if close else "; see gymnasium.pprint_registry() for the ids"
    raise GameError(f"unknown game '{name}'{hint}")


def resolve_game(name: str) -> GameSpec:
    game_id = canonical_id(name)
    is_atari = game_id.startswith("ALE/") or gym.spec(game_id).entry_point == "ale_py.env:AtariEnv"
    try:
        env = gym.make(game_id)
    except Exception as exc:  # e.g. a registered id whose optional dependency is missing (Box2D, MuJoCo)
        raise GameError(f"cannot create '{game_id}': {exc}") from None
    try:
        obs_space = env.observation_space
        if not isinstance(obs_space, gym.spaces.Box) or not np.issubdtype(obs_space.dtype, np.number):
            raise GameError(f"'{game_id}' has a {type(obs_space).__name__} observation space; a Box is needed")
        return GameSpec(
            game_id=game_id,
            is_atari=is_atari,
            obs_shape=tuple(obs_space.shape),
            action_space=env.action_space,
            reward_threshold=env.spec.reward_threshold if env.spec else None,
        )
    finally:
        env.close()
