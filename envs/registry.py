"""Turn what the user typed (`CartPole-v1`, `SpaceInvaders`, `ALE/Pong-v5`, `my_pkg.envs:MyEnv-v0`) and the
environment's constructor arguments (`--env-kwargs`) into a checked game spec."""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec, load_env_creator

from envs import observations
from envs.make import build_env
from envs.observations import UnsupportedObservations

# Games whose environments also exist as TensorFlow ops (`envs.cartpole_tf`); max_episode_steps comes from
# the id's registration.
TF_GAMES = ("CartPole-v0", "CartPole-v1")
ALE_ENTRY_POINT = "ale_py.env:AtariEnv"


def has_tf_env(game_id: str) -> bool:
    return game_id in TF_GAMES


class GameError(ValueError):
    """A game the trainer cannot run: unknown id, a module that fails to import, an environment that cannot be made
    or breaks the API, or observations no network takes. The message is one line."""


@dataclass(frozen=True)
class GameSpec:
    """A resolved game: everything that makes its environments (`envs.make.make_env`) and chooses the network.

    Frozen and hashable (the spaces and the kwargs dict are left out of the hash); picklable, for Ray actors."""

    game_id: str  # the registered id: 'CartPole-v1', 'ALE/Pong-v5', 'MyEnv-v0' (of 'my_pkg.envs:MyEnv-v0')
    is_atari: bool  # ale-py frames: Atari preprocessing, and Atari's defaults (reward clipping for the loss)
    is_image: bool  # image observations (Atari, or e.g. CarRacing): the CNN takes them
    obs_shape: tuple[int, ...]  # as the feed-forward network takes them, after the wrappers (`observation_shape`)
    action_space: gym.Space = field(hash=False)  # the policy's distribution is made from it (`models`)
    reward_threshold: float | None
    module: str | None = None  # 'my_pkg.envs' of 'my_pkg.envs:MyEnv-v0': importing it registers the id
    env_kwargs: dict[str, Any] = field(default_factory=dict, hash=False)  # the environment's constructor arguments
    observation_space: gym.Space | None = field(default=None, hash=False, compare=False)  # the game's own

    @property
    def full_id(self) -> str:
        """What the user names the game by and `config.json` keeps: `gym.make` takes it (and imports the module)."""
        return f"{self.module}:{self.game_id}" if self.module else self.game_id

    @property
    def display_name(self) -> str:
        """`full_id` and the kwargs it is made with: `my_pkg.envs:MyEnv-v0 (length=5)`."""
        return f"{self.full_id} ({describe_kwargs(self.env_kwargs)})" if self.env_kwargs else self.full_id

    def registration(self) -> EnvSpec:
        """The id's gymnasium registration; importing the module first registers it in a fresh process (a Ray
        actor's) too."""
        if self.module:
            importlib.import_module(self.module)
        return gym.spec(self.game_id)

    def render_modes(self) -> list[str]:
        """The render modes its environment class declares (`metadata["render_modes"]`), without making one."""
        entry_point = self.registration().entry_point
        creator = load_env_creator(entry_point) if isinstance(entry_point, str) else entry_point
        return list(getattr(creator, "metadata", {}).get("render_modes", []))

    def observation_shape(self, recurrent: bool) -> tuple[int, ...]:
        """As the network takes them: image games one frame a step for the CNN + LSTM, else the stack."""
        return self.obs_shape[1:] if self.is_image and recurrent else self.obs_shape

    def record(self) -> dict:
        """What config.json keeps of the game (spaces in words: readable, and JSON)."""
        own = self.observation_space
        return {
            "game_id": self.game_id,
            "module": self.module,
            "env_kwargs": self.env_kwargs,
            "is_atari": self.is_atari,
            "is_image": self.is_image,
            "obs_shape": list(self.obs_shape),
            "observation_space": None if own is None else observations.describe(own),
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


def canonical_id(name: str, module: str | None = None) -> str:
    """Registered ids pass through; short Atari names map to their ale-py v5 id. `module`: the one the user named
    with the id (already imported), to suggest ids as they would type them."""
    _register_atari()
    if name in gym.registry:
        return name
    if f"ALE/{name}-v5" in gym.registry:
        return f"ALE/{name}-v5"
    # After `module:`, the ids that module registers (by their entry points), where there are any.
    candidates = [i for i, spec in gym.registry.items() if module and entry_module(spec).startswith(module)]
    candidates = candidates or list(gym.registry) + _atari_short_names()
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.5)
    if not close:  # Case slips ("cartpole-v1") are the commonest typo; difflib is case-sensitive.
        lowered = {c.lower(): c for c in candidates}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.5)]
    prefix = f"{module}:" if module else ""
    hint = (
        f"; did you mean: {', '.join(prefix + c for c in close)}?"
        if close
        else "; see gymnasium.pprint_registry() for the ids"
    )
    raise GameError(f"unknown game '{prefix}{name}'{hint}")


def entry_module(spec: EnvSpec) -> str:
    """The module an id's environment class lives in ('gymnasium.envs.classic_control.cartpole')."""
    if isinstance(spec.entry_point, str):
        return spec.entry_point.partition(":")[0]
    return getattr(spec.entry_point, "__module__", "") or ""


def import_game_module(module: str, game: str) -> None:
    """What `gym.make("module:id")` does first, with one line for the user where it fails."""
    try:
        importlib.import_module(module)
    except Exception as exc:  # whatever the module raises: ImportError, SyntaxError, its own errors
        raise GameError(f"cannot import module '{module}' for game '{game}': {one_line(exc)}") from None


def one_line(exc: BaseException) -> str:
    """`TypeError: message`, the message's first line only (the command line prints one line)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


# Where gymnasium keeps the games of an optional extra (`requirements-control.txt`), by entry point.
EXTRAS = {"gymnasium.envs.box2d.": "Box2D", "gymnasium.envs.mujoco.": "MuJoCo"}


def describe_kwargs(env_kwargs: dict[str, Any]) -> str:
    return " ".join(f"{key}={value!r}" for key, value in env_kwargs.items())


def creation_error(game: str, spec: EnvSpec, env_kwargs: dict[str, Any], exc: Exception) -> GameError:
    """One line for an environment that cannot be made: a missing optional extra, or bad constructor arguments."""
    if isinstance(exc, gym.error.DependencyNotInstalled):
        entry = spec.entry_point if isinstance(spec.entry_point, str) else ""
        for package, extra in EXTRAS.items():
            if entry.startswith(package):
                return GameError(
                    f"'{game}' needs {extra}, which is not installed: pip install -r requirements-control.txt"
                )
        return GameError(f"'{game}' needs a package that is not installed: {one_line(exc)}")
    # gymnasium re-raises a constructor's TypeError with all the kwargs appended; the line below names them once.
    cause = exc.__cause__ if type(exc) is TypeError and isinstance(exc.__cause__, TypeError) else exc
    given = f" with env kwargs {describe_kwargs(env_kwargs)}" if env_kwargs else ""
    return GameError(f"cannot create '{game}'{given}: {one_line(cause)}")


def game_id_of(name: str) -> str:
    """The registered id of what the user typed, without making the environment (`SpaceInvaders` ->
    `ALE/SpaceInvaders-v5`; `module:id` imports the module first); GameError with one line."""
    module, colon, typed_id = name.partition(":")
    if not colon:
        return canonical_id(name)
    import_game_module(module, name)
    return canonical_id(typed_id, module)


def resolve_game(name: str, env_kwargs: dict[str, Any] | None = None) -> GameSpec:
    """What the user typed (`CartPole-v1`, `SpaceInvaders`, `my_pkg.envs:MyEnv-v0`) and the environment's
    constructor arguments -> a game whose environment was made once, or GameError with one line.

    gymnasium's API checker is `envs.checker.check_environment`'s business, run once before training."""
    env_kwargs = dict(env_kwargs or {})
    module, colon, typed_id = name.partition(":")  # as gymnasium splits `module:id`
    if not colon:
        module, typed_id = "", name
    if module:
        import_game_module(module, name)
    game_id = canonical_id(typed_id, module or None)
    spec = gym.spec(game_id)
    full_id = f"{module}:{game_id}" if module else game_id
    ale = spec.entry_point == ALE_ENTRY_POINT or game_id.startswith("ALE/")
    # ale-py's RAM observations (`--env-kwargs obs_type=ram`) are 128 bytes: a vector game, not frames.
    is_atari = ale and {**spec.kwargs, **env_kwargs}.get("obs_type", "rgb") != "ram"
    if is_atari and "frameskip" in env_kwargs:
        raise GameError(f"'{full_id}': frameskip is the Atari preprocessing's (4 frames, the last two max-pooled)")
    try:
        env = build_env(full_id, is_atari, env_kwargs)
    except UnsupportedObservations as exc:
        raise GameError(f"'{full_id}' {exc}") from None
    except Exception as exc:  # e.g. a missing optional dependency (Box2D, MuJoCo), or kwargs it does not take
        raise creation_error(full_id, spec, env_kwargs, exc) from None
    try:
        raw_space = env.unwrapped.observation_space
        return GameSpec(
            game_id=game_id,
            is_atari=is_atari,
            is_image=is_atari or observations.is_image(raw_space),
            obs_shape=tuple(env.observation_space.shape),
            action_space=env.action_space,
            reward_threshold=spec.reward_threshold,
            module=module or None,
            env_kwargs=env_kwargs,
            observation_space=raw_space,
        )
    finally:
        env.close()
