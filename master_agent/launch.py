"""From what a user asks for to a checked `RunConfig`: the per-kind defaults applied, and every check that can be
made before TensorFlow loads (the game, the runs directory, the backend, the rollouts' memory).

`a3c.py` (the Python API) and `run.py` (the command line, through it) both start runs here, so a setting means the
same from either. Bad input raises `SettingsError`, one line for the user.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym

from envs import GameError, GameSpec, check_environment, game_id_of, has_tf_env, resolve_game
from envs.registry import TF_GAMES
from master_agent.config import DEFAULT_ENV_IMPL, GRAPH_MAX_T_MAX, RunConfig, default_workers, defaults_for
from master_agent.presets import GAME_KEY, find_preset, read_settings_file
from master_agent.resume import ResumeError, ResumePoint, load_resume_point
from master_agent.settings import SETTINGS, TARGET_ON, BadValue, SettingsError, check_value, flag
from rundir import RunPointerError, resolve_run_dir
from worker import Hyperparams


def pick(value, default):
    return default if value is None else value


def check_given(name: str, value: Any) -> Any:
    """A setting given to `make_config` (a flag, or the Python API's argument), checked as a file's would be."""
    if name == "env_kwargs":
        return value  # check_env_kwargs says what is wrong with them
    try:
        return check_value(name, value)
    except BadValue as exc:
        raise SettingsError(f"argument {flag(name)}: {exc}") from None


def resolve_game_id(game: str) -> str:
    try:
        return game_id_of(game)
    except GameError as exc:
        raise SettingsError(str(exc)) from None


def display_path(path: Path | None) -> str:
    """A preset's path as the banner and config.json show it: relative to the project (presets/CartPole-v1.yaml)."""
    if path is None:
        return ""
    try:
        return str(path.relative_to(Path(__file__).resolve().parent.parent))
    except ValueError:
        return str(path)


def make_config(
    game: str | None, config_file: str | Path | None = None, preset: bool = True, **settings: Any
) -> tuple[RunConfig, GameSpec]:
    """The run `game` with `settings` trains. Each setting comes from, last one winning: its kind's defaults, the
    game's preset (presets/, unless `preset` is False), the `config_file` (YAML; it may name the game when `game`
    is None), then `settings` (None: not given). `config.settings_from` records where each came from.

    `eval_every=0` turns evaluation during training off. Raises SettingsError for an unknown game or setting, a
    bad value or file, or settings that do not go together."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise SettingsError(
            f"unknown setting{'s' * (len(unknown) > 1)} {', '.join(unknown)} (known: {', '.join(SETTINGS)})"
        )
    flags = {name: check_given(name, value) for name, value in settings.items() if value is not None}
    from_file = read_settings_file(config_file) if config_file is not None else {}
    game = game or from_file.pop(GAME_KEY, None)
    from_file.pop(GAME_KEY, None)  # --game wins over the file's game
    if not game:
        raise SettingsError(f"no game: give --game, or 'game: ...' in '{config_file}'" if config_file else "no game")
    preset_file = find_preset(resolve_game_id(game)) if preset else None
    from_preset = read_settings_file(preset_file, allow_game=False) if preset_file is not None else {}
    layers = [(from_preset, f"preset {display_path(preset_file)}"), (from_file, f"file {config_file}"), (flags, "flag")]
    given: dict[str, Any] = dict.fromkeys(SETTINGS)
    settings_from: dict[str, str] = {}
    for values, source in layers:
        for name, value in values.items():
            given[name] = value
            settings_from[name] = source
    spec = game_spec(game, check_env_kwargs(given["env_kwargs"]))
    check_game(spec, bool(given["cnn_lstm"]))
    env_impl = pick(given["env_impl"], DEFAULT_ENV_IMPL)
    check_env_impl(env_impl, spec)
    if env_impl == "auto":  # the TensorFlow port has no place for --env-kwargs or normalization
        plain = not spec.env_kwargs and not given["normalize_obs"] and not given["normalize_reward"]
        env_impl = "tf" if has_tf_env(spec.game_id) and plain else "gymnasium"
    box_actions = isinstance(spec.action_space, gym.spaces.Box)
    defaults = defaults_for(spec.is_atari, tf_env=env_impl == "tf", box_actions=box_actions)
    per_kind = ("normalize_obs", "normalize_reward", "entropy_beta", "max_grad_norm", "layer_norm",
                "terminal_on_life_loss")  # fmt: skip
    for name in per_kind:  # the kind's default unless given (False: --no-...)
        given[name] = pick(given[name], getattr(defaults, name))
    if given["normalize_obs"] and spec.is_image and "normalize_obs" not in settings_from:
        given["normalize_obs"] = False  # CarRacing: continuous control, but images the network scales itself
    check_normalization(given["normalize_obs"], given["normalize_reward"], spec, env_impl)
    eval_every = pick(given["eval_every"], defaults.eval_every) or None  # 0: off
    check_evaluation(eval_every, given["eval_episodes"], pick(given["target_on"], TARGET_ON[0]))

    max_steps = pick(given["max_steps"], defaults.max_steps)
    check_schedules(given, max_steps)
    if given["terminal_on_life_loss"] and not spec.is_atari:
        raise SettingsError(f"--terminal-on-life-loss applies only to Atari games, which have lives; {game} has none")

    hp_given = {
        name: given[name]
        for name in ("gamma", "entropy_beta", "value_coef", "gae_lambda", "max_grad_norm", "log_std", "action_bounds",
                     "conv_activation", "layer_norm", "normalize_obs", "normalize_reward", "entropy_schedule",
                     "entropy_beta_final", "terminal_on_life_loss")
    }  # fmt: skip
    run_given = {
        name: given[name]
        for name in ("workers", "seed", "runs_dir", "checkpoint_every", "backend", "ray_address", "eval_episodes",
                     "target_on", "lr_schedule")
    }  # fmt: skip
    run_given["workers"] = pick(given["workers"], default_workers(atari=spec.is_atari))
    linear = "linear" in (given["lr_schedule"], given["entropy_schedule"])
    config = RunConfig(
        game=spec.full_id,  # `module:id` as given: --eval, --resume and load_agent import the module again
        env_kwargs=spec.env_kwargs,
        learning_rate=pick(given["lr"], defaults.learning_rate),
        hyperparams=Hyperparams(
            t_max=pick(given["t_max"], defaults.t_max),
            envs_per_worker=pick(given["envs_per_worker"], defaults.envs_per_worker),
            clip_rewards=defaults.clip_rewards,
            **{name: value for name, value in hp_given.items() if value is not None},
        ),
        max_steps=max_steps,
        schedule_steps=max_steps if linear else None,
        max_episodes=given["max_episodes"],
        max_seconds=given["max_seconds"],
        target_reward=pick(given["target_reward"], spec.reward_threshold),
        cnn_lstm=bool(given["cnn_lstm"]),
        env_impl=env_impl,
        eval_every=eval_every,
        settings_from=settings_from,
        **{name: value for name, value in run_given.items() if value is not None},
    )
    return config, spec


def check_schedules(given: dict[str, Any], max_steps: int | None) -> None:
    """A linear schedule runs over the step budget, so it needs one; a final entropy weight needs its schedule."""
    linear = [name for name in ("lr_schedule", "entropy_schedule") if given[name] == "linear"]
    if linear and max_steps is None:
        raise SettingsError(
            f"{flag(linear[0])} linear runs over the step budget, and this run has none: give --max-steps N"
        )
    if given["entropy_beta_final"] is not None and given["entropy_schedule"] != "linear":
        raise SettingsError("--entropy-beta-final applies only with --entropy-schedule linear")


def check_env_kwargs(env_kwargs: Any) -> dict[str, Any]:
    """The environment's constructor arguments as config.json will keep them: a JSON round trip now, so a run
    trains on exactly what `--eval` and `--resume` read back (a tuple becomes a list either way)."""
    if env_kwargs is None:
        return {}
    if not isinstance(env_kwargs, dict) or not all(isinstance(key, str) for key in env_kwargs):
        raise SettingsError(f"env_kwargs must be a dict of argument names to values, got {env_kwargs!r}")
    if "render_mode" in env_kwargs:
        raise SettingsError("--env-kwargs render_mode: the trainer sets it (none to train, rgb_array for --record)")
    for key, value in env_kwargs.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise SettingsError(
                f"--env-kwargs {key}={value!r}: config.json keeps the arguments as JSON (numbers, strings, true/false, "
                f"null, lists, dicts); {exc}"
            ) from None
    return json.loads(json.dumps(env_kwargs))


# Games checked with gymnasium's environment checker in this process, by id and kwargs: `a3c.train(make_config(...))`
# resolves its game twice, and the checker's warnings are shown once.
_CHECKED: set[str] = set()


def game_spec(game: str, env_kwargs: dict[str, Any] | None = None) -> GameSpec:
    """The game, made once and run through gymnasium's environment checker (envs.checker), whose warnings for a
    game that is not gymnasium's or ale-py's own go to stderr as `warning:` lines: the run goes on, but its author
    may want to know."""
    try:
        spec = resolve_game(game, env_kwargs)
        key = json.dumps([spec.full_id, spec.env_kwargs], sort_keys=True, default=repr)
        if key not in _CHECKED:
            for line in check_environment(spec):
                print(f"warning: gymnasium's environment checker on '{spec.full_id}': {line}", file=sys.stderr)
            _CHECKED.add(key)
    except GameError as exc:
        raise SettingsError(str(exc)) from None
    return spec


def check_game(game: GameSpec, cnn_lstm: bool) -> None:
    """The networks here take vectors (everything but images is flattened into one) or image frames."""
    if cnn_lstm and not game.is_image:
        raise SettingsError(
            f"--cnn-lstm needs an image game (Atari, or image observations such as CarRacing's); '{game.full_id}' "
            f"has observations of shape {game.obs_shape}"
        )


def check_env_impl(env_impl: str, game: GameSpec) -> None:
    if env_impl != "tf":
        return
    if not has_tf_env(game.game_id):
        raise SettingsError(f"--env-impl tf: '{game.full_id}' has no TensorFlow port (ports: {', '.join(TF_GAMES)})")
    if game.env_kwargs:
        raise SettingsError(
            f"--env-impl tf: the TensorFlow port of '{game.game_id}' takes no --env-kwargs; use --env-impl gymnasium"
        )


def check_normalization(normalize_obs: bool, normalize_reward: bool, game: GameSpec, env_impl: str) -> None:
    if normalize_obs and game.is_image:
        raise SettingsError(
            f"--normalize-obs applies to vector observations; '{game.full_id}' has images, which the network "
            "scales to [0, 1] itself"
        )
    if (normalize_obs or normalize_reward) and env_impl == "tf":
        raise SettingsError(
            "--normalize-obs / --normalize-reward need --env-impl gymnasium (the TensorFlow port has none)"
        )


def check_evaluation(eval_every: int | None, eval_episodes: int | None, target_on: str) -> None:
    if target_on not in TARGET_ON:
        raise SettingsError(f"--target-on must be one of {', '.join(TARGET_ON)}, got '{target_on}'")
    if not eval_every and target_on == "eval":
        raise SettingsError("--target-on eval needs evaluation during training: give --eval-every N")
    if not eval_every and eval_episodes is not None:
        raise SettingsError("--eval-episodes applies only with evaluation during training (--eval-every N)")


def check_config(
    config: RunConfig, remedy: str = "lower --t-max, --envs-per-worker or --workers", new_run: bool = True
) -> GameSpec:
    """What must hold before TensorFlow loads and anything is written, for a config from `make_config` or built by
    hand; returns the config's game."""
    game = game_spec(config.game, check_env_kwargs(config.env_kwargs))
    check_game(game, config.cnn_lstm)
    check_env_impl(config.env_impl, game)
    hp = config.hyperparams
    check_normalization(hp.normalize_obs, hp.normalize_reward, game, config.env_impl)
    check_evaluation(config.eval_every, None, config.target_on)
    if new_run:  # a resumed run writes into its own directory
        check_runs_dir(config.runs_dir)
    check_backend(config.backend, config.ray_address)
    check_rollout_size(config, game, remedy)
    return game


def check_runs_dir(runs_dir: str) -> None:
    """Fail before TensorFlow loads and models build, not after: the nearest existing parent must be writable."""
    path = Path(runs_dir).resolve()
    while not path.exists():
        path = path.parent
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        raise SettingsError(f"--runs-dir '{runs_dir}' is not writable ('{path}' is not a writable directory)")


# What a resumed run may change: how long it goes on and how it runs, never what it computes.
RESUME_MAY_CHANGE = {
    "workers",
    "max_steps",
    "max_episodes",
    "max_seconds",
    "target_reward",
    "checkpoint_every",
    "backend",
    "ray_address",
    "eval_every",
    "eval_episodes",
    "target_on",
}


def check_backend(backend: str, ray_address: str | None) -> None:
    """Ray is optional: say how to get it before anything loads, rather than fail halfway."""

    if ray_address is not None and backend != "ray":
        raise SettingsError("--ray-address applies only with --backend ray")
    if backend == "ray" and importlib.util.find_spec("ray") is None:
        raise SettingsError("--backend ray needs Ray, which is not installed: pip install -r requirements-ray.txt")
    if ray_address is not None and ray_address != "auto":
        check_reachable(ray_address)


def check_reachable(address: str) -> None:
    """Ray retries an unreachable cluster for minutes; a TCP connect answers in a moment."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise SettingsError(f"--ray-address must be 'auto' or HOST:PORT, got '{address}'")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise SettingsError(
            f"--ray-address {address}: no Ray cluster answers there ({exc.strerror or exc}); "
            "start one with `ray start --head`"
        ) from None


# What a rollout keeps per environment step besides the observation (memory.rollout.Rollout): the reward and
# V(final observation) as float32, and four bool flags (terminated, truncated, valid, starts).
STEP_SCALAR_BYTES = 4 + 4 + 4 * 1


def physical_memory() -> int | None:
    """Bytes of RAM in this machine, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def step_bytes(game: GameSpec, cnn_lstm: bool) -> int:
    """One environment step of a rollout: the observation as the network takes it (image frames uint8 after
    preprocessing, vectors float32), the action (int32 or float32 per component) and the per-step scalars."""
    import numpy as np

    itemsize = np.dtype(np.uint8 if game.is_image else np.float32).itemsize
    obs_bytes = int(np.prod(game.observation_shape(cnn_lstm))) * itemsize
    action_shape = getattr(game.action_space, "shape", None) or ()
    action_bytes = max(1, int(np.prod(action_shape))) * 4
    return obs_bytes + action_bytes + STEP_SCALAR_BYTES


def check_rollout_size(config, game, remedy: str = "lower --t-max, --envs-per-worker or --workers") -> None:
    """Refuse, before TensorFlow loads, rollouts that cannot fit in this machine's memory (allocating them would
    swap or hang) and in-graph updates too long to trace and compile."""
    hp = config.hyperparams
    # Workers on this machine: all of them, except Ray actors spread over a cluster (then one must fit).
    workers = 1 if config.backend == "ray" and config.ray_address is not None else config.workers
    per_step = step_bytes(game, config.cnn_lstm)
    need = hp.t_max * hp.envs_per_worker * workers * per_step
    have = physical_memory()
    if have is not None and need > have:
        raise SettingsError(
            f"rollouts of --t-max {hp.t_max:,} x {hp.envs_per_worker:,} environments x {workers:,} "
            f"worker{'s' * (workers != 1)} x {per_step:,} bytes a step would need {gib(need)} of memory; "
            f"this machine has {gib(have)} ({remedy})"
        )
    if config.env_impl == "tf" and hp.t_max > GRAPH_MAX_T_MAX:
        raise SettingsError(
            f"--t-max {hp.t_max:,}: with the environments in TensorFlow (--env-impl tf) the update is one "
            f"graph unrolled over t_max steps, which would take too long to compile; use at most "
            f"{GRAPH_MAX_T_MAX}, or --env-impl gymnasium for longer rollouts"
        )


def gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"


def resume_config(run_dir: str | Path, **changes: Any) -> tuple[RunConfig, GameSpec, ResumePoint]:
    """A saved run's config with `changes` (only RESUME_MAY_CHANGE), its game and where it goes on from."""
    for name, value in changes.items():
        if value is not None and name not in RESUME_MAY_CHANGE:
            raise SettingsError(f"--{name.replace('_', '-')} cannot change when resuming; it keeps the run's setting")
    try:
        config, _, point = load_resume_point(resolve_run_dir(run_dir))
    except (ResumeError, RunPointerError) as exc:
        raise SettingsError(str(exc)) from None
    given = {name: value for name, value in changes.items() if value is not None}
    if changes.get("backend") == "thread":
        given["ray_address"] = None
    if "eval_every" in given:
        given["eval_every"] = given["eval_every"] or None  # 0: off
    config = dataclasses.replace(config, **given)
    check_evaluation(config.eval_every, given.get("eval_episodes"), config.target_on)
    game = check_config(config, remedy="resume with fewer --workers", new_run=False)  # --workers may have grown
    return config, game, point
