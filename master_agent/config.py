"""Every setting of a run, as saved in `config.json`, and every default a run uses, each written once.

`run.py` (its flags, help text, `--eval`), `--resume` (a saved config is rebuilt through `RunConfig`) and
`bench/` read the defaults from here. Where each kind lives:
- per kind of game (classic, classic in TensorFlow, Atari): `GameDefaults` below, and nowhere else;
- kind-independent algorithm settings (gamma, entropy beta, ...): `worker.Hyperparams`' field defaults (the worker
  package cannot import this one);
- run-level settings (seed, runs dir, checkpoint period, backend, ...): `RunConfig`'s field defaults.
`field_default` reads a field's default, so text that shows one never repeats it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from master_agent.settings import BACKENDS, ENV_IMPLS, MAX_SEED, TARGET_ON  # noqa: F401  (re-exported)
from worker import Hyperparams
from worker.hyperparams import SCHEDULE_CHOICES

# The in-graph core (worker.graph_core) unrolls t_max steps in Python when it traces, and XLA compiles all of them,
# ~0.8 s per step: `run.py --game CartPole-v1 --workers 1 --max-steps 1` took 12 s with --t-max 20 and 78 s with
# --t-max 100 (2-core machine, lightly loaded); past this a run would spend minutes compiling before it trains.
GRAPH_MAX_T_MAX = 100
DEFAULT_ENV_IMPL = "auto"
EVAL_EPISODES = 10  # episodes a evaluation plays: run.py --eval's --episodes, and --eval-episodes during training
EVAL_RECORD_EVERY = 1
EVAL_RECORD_SCALE = 1.0


def default_workers(atari: bool = False) -> int:
    """One worker per CPU core, and one more for Atari: a worker's emulators run in C++ without the GIL, and with one
    worker per core the cores sat partly idle. Pong --cnn-lstm, 2 cores, 60 s runs alternated: 2 workers 975 and
    1,110 agent steps/s, 3 workers 1,230 and 1,205 (README, Atari)."""
    return (os.cpu_count() or 1) + int(atari)


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    game: str  # a registered id, or `module:id` (importing the module registers the id)
    # The environment's constructor arguments (`--env-kwargs`), as JSON keeps them; {} is what a config saved before
    # the setting existed means. Left out of the hash: a dict has none.
    env_kwargs: dict[str, Any] = field(default_factory=dict, hash=False)
    workers: int = field(default_factory=default_workers)
    learning_rate: float  # per kind of game: GameDefaults
    # "linear": the learning rate falls linearly to 0 over `schedule_steps` env steps (the A3C paper's annealing).
    lr_schedule: str = SCHEDULE_CHOICES[0]
    # The steps a linear schedule spans: the step budget when the run started, kept when a resume changes it.
    schedule_steps: int | None = None
    hyperparams: Hyperparams
    max_steps: int | None  # per kind of game: GameDefaults
    max_episodes: int | None = None
    max_seconds: float | None = None
    target_reward: float | None = None  # None: never stop on reward (a game without a threshold)
    target_window: int = 100  # episodes in the moving average compared with the target
    seed: int = 0
    runs_dir: str = "runs"
    checkpoint_every: float = 300.0  # seconds between periodic checkpoints (one is always written at the end)
    cnn_lstm: bool = False  # image games: CNN + LSTM on single frames instead of a CNN on 4 stacked frames
    backend: str = BACKENDS[0]  # thread | ray: where the workers run
    ray_address: str | None = None  # None: a local Ray started for the run; "auto" or HOST:PORT: join a cluster
    # "tf": the game's environments as TensorFlow ops, the whole update one graph (CartPole); "gymnasium":
    # gymnasium's envs stepped from Python. A new run picks one (DEFAULT_ENV_IMPL); this default is what a
    # config saved before the setting existed means.
    env_impl: str = "gymnasium"
    # Evaluation during training: every `eval_every` env steps, `eval_episodes` greedy episodes on separate
    # environments with a snapshot of the global weights (eval.csv, best/). A new run takes its kind's default
    # (GameDefaults.eval_every); None, off, is what a config saved before the setting existed means.
    eval_every: int | None = None
    eval_episodes: int = EVAL_EPISODES
    target_on: str = TARGET_ON[0]  # "eval": the stop rule uses the evaluation mean (needs eval_every)
    # Where each setting that is not its kind's default came from: "preset FILE", "file FILE" (--config) or "flag"
    # (a flag, or an argument of the Python API). Left out of the hash: a dict has none.
    settings_from: dict[str, str] = field(default_factory=dict, hash=False)


def field_default(cls: type, name: str) -> Any:
    """The default a dataclass field declares (`field_default(RunConfig, "seed")`), for help text and fallbacks."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
            raise KeyError(f"{cls.__name__}.{name} has no default")
    raise KeyError(f"{cls.__name__} has no field {name!r}")


@dataclass(frozen=True)
class GameDefaults:
    """Settings that depend on the kind of game; every one is overridable by its flag."""

    learning_rate: float
    t_max: int
    envs_per_worker: int
    clip_rewards: bool
    max_steps: int | None
    eval_every: int | None  # env steps between evaluations during training; None: off (they would cost > ~5%)
    entropy_beta: float = field_default(Hyperparams, "entropy_beta")
    max_grad_norm: float = field_default(Hyperparams, "max_grad_norm")
    normalize_obs: bool = False
    normalize_reward: bool = False
    layer_norm: bool = True  # image networks only (models.cnn.ConvTrunk): without it Pong's critic stayed flat
    terminal_on_life_loss: bool = False  # games with lives (Atari) only


CLASSIC_DEFAULTS = GameDefaults(
    learning_rate=1e-3, t_max=5, envs_per_worker=64, clip_rewards=False, max_steps=None, eval_every=50_000
)
# With the environments in TensorFlow an update costs little Python, so fewer envs per update pay off: CartPole
# solved in the same median time with half the env steps at 32 as at 64 (10 seeds each, README).
# Evaluation every 200k steps cost 2.8% of CartPole's steps/s, every 50k 20% (the evaluator's Python holds the GIL
# the graph workers would share; `python bench/eval_overhead.py --game CartPole-v1 --periods 0 50000 200000`).
CLASSIC_TF_DEFAULTS = replace(CLASSIC_DEFAULTS, envs_per_worker=32, eval_every=200_000)
# Atari: t_max 20 and reward clipping as in the A3C paper; a 10M-step budget unless told otherwise.
# lr 2.5e-4 (CleanRL's PPO Atari rate for Adam): on Pong's CNN-LSTM with LayerNorm, at 7e-4 most dense units were
# off and the critic flat after 600k steps, at 2.5e-4 the 100-game mean was -12.2 after 1.2M (README, Atari).
# A lost life ends the return the loss bootstraps (SB3's EpisodicLifeEnv): Breakout's 100-game mean (seed 1, 2 cores)
# was 41.7 at 1.65M steps with it and 33.9 at 1.87M without, 67.6 at 40 minutes against 44.2 (README, Atari).
ATARI_DEFAULTS = GameDefaults(
    learning_rate=2.5e-4,
    t_max=20,
    envs_per_worker=4,
    clip_rewards=True,
    max_steps=10_000_000,
    eval_every=250_000,
    terminal_on_life_loss=True,
)


# Continuous control (Box actions): observations and rewards normalized, as rl-baselines3-zoo runs A2C on every
# such game, and no entropy bonus (the zoo's ent_coef 0: a Gaussian's entropy grows without bound with its log-std).
# Pendulum without normalization: best 100-episode mean -683 after 45 s, with it -233 (same settings otherwise).
# Gradients clipped to norm 0.5 (the zoo's A2C setting): their norm before it is ~6-70, so every update is clipped and
# its size is Adam's alone. LunarLanderContinuous, 2M steps, seeds 0-3, 100 greedy episodes of the best policy: 83.6,
# 206.7, 197.7, 189.3 with it; at 40 136.5, 92.7, -77.2 (seeds 0-2), the policy landing early, then falling back.
CONTROL_DEFAULTS = replace(
    CLASSIC_DEFAULTS, entropy_beta=0.0, max_grad_norm=0.5, normalize_obs=True, normalize_reward=True
)
KINDS = {
    "classic games": CLASSIC_DEFAULTS,
    "CartPole in TensorFlow": CLASSIC_TF_DEFAULTS,
    "continuous control": CONTROL_DEFAULTS,
    "Atari": ATARI_DEFAULTS,
}


def defaults_for(is_atari: bool, tf_env: bool = False, box_actions: bool = False) -> GameDefaults:
    """The kind's defaults: Atari; continuous control (a Box action space); CartPole in TensorFlow; classic."""
    if is_atari:
        return ATARI_DEFAULTS
    if box_actions:
        return CONTROL_DEFAULTS
    return CLASSIC_TF_DEFAULTS if tf_env else CLASSIC_DEFAULTS


def show(value: Any) -> str:
    """A default as help text writes it: none, 10M, 1e-3, 0.99, 300."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return f"{value // 10**6}M" if value >= 10**6 and value % 10**6 == 0 else str(value)
    if isinstance(value, float):
        plain = f"{value:g}"
        for digits in (0, 1):  # 1e-3, 2.5e-4
            short = f"{value:.{digits}e}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")
            if float(short) == value and len(short) < len(plain):
                return short
        return plain
    return str(value)


def describe_per_kind(name: str, fmt: Callable[[Any], str] = show) -> str:
    """A per-kind default in words, from the values: '1e-3 for classic games, 7e-4 for Atari'; kinds that share
    the classic games' value are not named."""
    classic = fmt(getattr(CLASSIC_DEFAULTS, name))
    others = [f"{fmt(getattr(d, name))} for {kind}" for kind, d in KINDS.items() if fmt(getattr(d, name)) != classic]
    named = "other classic games" if any("CartPole" in part for part in others) else "classic games"
    return ", ".join([f"{classic} for {named}", *others]) if others else classic
