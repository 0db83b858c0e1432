"""Command line: parse, validate, and hand over to training, resuming, curve viewing or evaluation."""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import signal
import sys
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter hides the progress lines

from evaluate.recording import MAX_FRAMES as EVAL_MAX_FRAMES  # noqa: E402  (no TensorFlow there: --help stays quick)
from master_agent.quiet_start import quiet_atari, quiet_tensorflow_import  # noqa: E402

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input: reported as one line on stderr with exit status 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (stop the workers, save, exit) but with its own exit status."""

    exit_code = 143


def raise_terminated(signum, frame):
    raise Terminated()


def number_type(kind: type, accepts: Callable[[float], bool], requirement: str) -> Callable[[str], float]:
    """An argparse `type=` for a finite int or float that `accepts`; argparse adds the flag's name."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got '{text}'"
            ) from None
        if not math.isfinite(value) or not accepts(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
        return value

    return parse


positive_int = number_type(int, lambda v: v >= 1, "at least 1")
non_negative_int = number_type(int, lambda v: v >= 0, ">= 0")
positive_float = number_type(float, lambda v: v > 0, "a positive finite number")
non_negative_float = number_type(float, lambda v: v >= 0, "a finite number >= 0")
fraction = number_type(float, lambda v: 0 < v <= 1, "in (0, 1]")
finite_float = number_type(float, lambda v: True, "finite")


class DefaultsFormatter(argparse.HelpFormatter):
    """Show a flag's default where it has one (argparse's own formatter also prints 'default: None')."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus the error; the project's rule is one clear line, exit 2."""

    def error(self, message: str):
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from master_agent.config import (
        BACKENDS,
        DEFAULT_ENV_IMPL,
        ENV_IMPLS,
        EVAL_EPISODES,
        EVAL_RECORD_EVERY,
        EVAL_RECORD_SCALE,
        MAX_SEED,
        RunConfig,
        default_workers,
        describe_per_kind,
        field_default,
        show,
    )
    from worker import Hyperparams

    def run_default(name: str) -> str:
        return show(field_default(RunConfig, name))

    def hp_default(name: str) -> str:
        return show(field_default(Hyperparams, name))

    p = OneLineParser(
        prog="run.py",
        description="Train A3C (threaded workers, or Ray actors) on a gymnasium game, view saved reward curves, "
        "evaluate a trained run.",
        formatter_class=DefaultsFormatter,
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--game", help="gymnasium id (CartPole-v1, ALE/Pong-v5) or a short Atari name (SpaceInvaders)")
    mode.add_argument("--plot", nargs="+", metavar="RUN_DIR", help="draw and compare the reward curves of saved runs")
    mode.add_argument(
        "--eval",
        metavar="RUN_DIR",
        help="play episodes with a saved run's trained network and print their scores (runs/latest is the newest run)",
    )
    mode.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue a run from its checkpoint: same settings, counters and episodes.csv go on; "
        "budgets (--max-*, --target-reward), --workers and --checkpoint-every may be given anew",
    )

    train = p.add_argument_group("training")
    train.add_argument(
        "--workers", type=positive_int, help=f"worker threads (default: the CPU cores, {default_workers()} here)"
    )
    train.add_argument(
        "--envs-per-worker",
        type=positive_int,
        help="environments each worker steps side by side, one network call acting for all "
        f"(default: {describe_per_kind('envs_per_worker')})",
    )
    train.add_argument(
        "--cnn-lstm",
        action="store_true",
        help="image games: CNN + LSTM(256) on single frames instead of a CNN on 4 stacked frames",
    )
    train.add_argument(
        "--max-steps",
        type=positive_int,
        help="stop after this many environment (agent) steps, all workers together "
        f"(default: {describe_per_kind('max_steps')})",
    )
    train.add_argument("--max-episodes", type=positive_int, help="stop after this many finished episodes")
    train.add_argument("--max-seconds", type=positive_float, help="stop after this many seconds of training")
    train.add_argument(
        "--target-reward",
        type=finite_float,
        help=f"stop when the mean return of the last {run_default('target_window')} episodes "
        "reaches this "
        "(default: the game's reward_threshold, 475 for CartPole-v1)",
    )
    train.add_argument(
        "--seed",
        type=non_negative_int,
        help=f"seed for weights, environments and sampling; training takes 0 to {MAX_SEED} "
        f"(default: {run_default('seed')})",
    )
    train.add_argument(
        "--lr", type=positive_float, help=f"Adam learning rate (default: {describe_per_kind('learning_rate')})"
    )
    train.add_argument("--gamma", type=fraction, help=f"discount factor (default: {hp_default('gamma')})")
    train.add_argument(
        "--t-max", type=positive_int, help=f"steps per environment per update (default: {describe_per_kind('t_max')})"
    )
    train.add_argument(
        "--entropy-beta", type=non_negative_float, help=f"entropy bonus weight (default: {hp_default('entropy_beta')})"
    )
    train.add_argument(
        "--value-coef", type=positive_float, help=f"value loss weight (default: {hp_default('value_coef')})"
    )
    train.add_argument(
        "--max-grad-norm",
        type=positive_float,
        help=f"clip gradients to this global norm (default: {hp_default('max_grad_norm')})",
    )
    train.add_argument("--runs-dir", help=f"where run directories are created (default: {run_default('runs_dir')})")
    train.add_argument(
        "--checkpoint-every",
        type=positive_float,
        help="seconds between periodic checkpoints; one is also written at the end "
        f"(default: {run_default('checkpoint_every')})",
    )
    train.add_argument(
        "--env-impl",
        choices=ENV_IMPLS,
        help=f"auto: the game's TensorFlow port where one exists (CartPole: the whole update "
        "is one graph, and worker threads use all cores), else gymnasium's environments "
        f"(default: {DEFAULT_ENV_IMPL})",
    )
    train.add_argument(
        "--backend",
        choices=BACKENDS,
        help="where workers run: threads of this process, or Ray actors, one process and CPU each "
        f"(default: {run_default('backend')})",
    )
    train.add_argument(
        "--ray-address",
        help="with --backend ray: join this cluster ('auto' or HOST:PORT of `ray start --head`); "
        "without it Ray starts on this machine for the run",
    )

    plot = p.add_argument_group("viewing curves (with --plot)")
    plot.add_argument("--out", help="PNG to write (default: rewards-compare.png in the first run directory)")
    plot.add_argument("--show", action="store_true", help="also open a window, where a display exists")
    plot.add_argument(
        "--x",
        choices=("episodes", "steps", "time"),
        default="episodes",
        help="x axis: episode number, environment steps, or seconds of training",
    )
    plot.add_argument(
        "--window",
        type=positive_int,
        default=field_default(RunConfig, "target_window"),
        help="episodes in the moving average",
    )
    plot.add_argument("--per-worker", action="store_true", help="one line per worker of a single run")

    ev = p.add_argument_group("evaluating a run (with --eval; --seed seeds the games and the sampling)")
    ev.add_argument("--episodes", type=positive_int, help=f"episodes to play (default: {EVAL_EPISODES})")
    ev.add_argument(
        "--greedy", action="store_true", help="take the most probable action instead of sampling from the policy"
    )
    ev.add_argument(
        "--record",
        metavar="FILE",
        help="write the first episode as an animated .gif (or .mp4, with imageio-ffmpeg installed); "
        f"at most {EVAL_MAX_FRAMES} frames",
    )
    ev.add_argument(
        "--record-every", type=positive_int, default=EVAL_RECORD_EVERY, help="keep 1 frame in N of the recording"
    )
    ev.add_argument(
        "--record-scale", type=fraction, default=EVAL_RECORD_SCALE, help="resize the recording's frames by this factor"
    )
    return p


def pick(value, default):
    return default if value is None else value


def check_runs_dir(runs_dir: str) -> None:
    """Fail before TensorFlow loads and models build, not after: the nearest existing parent must be writable."""
    from pathlib import Path

    path = Path(runs_dir).resolve()
    while not path.exists():
        path = path.parent
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--runs-dir '{runs_dir}' is not writable ('{path}' is not a writable directory)")


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
}
TRAINING_ONLY = (
    "envs_per_worker",
    "cnn_lstm",
    "env_impl",
    "seed",
    "lr",
    "gamma",
    "t_max",
    "entropy_beta",
    "value_coef",
    "max_grad_norm",
    "runs_dir",
)


def check_backend(backend: str, ray_address: str | None) -> None:
    """Ray is optional: say how to get it before anything loads, rather than fail halfway."""

    if ray_address is not None and backend != "ray":
        raise UsageError("--ray-address applies only with --backend ray")
    if backend == "ray" and importlib.util.find_spec("ray") is None:
        raise UsageError("--backend ray needs Ray, which is not installed: pip install -r requirements-ray.txt")
    if ray_address is not None and ray_address != "auto":
        check_reachable(ray_address)


def check_reachable(address: str) -> None:
    """Ray retries an unreachable cluster for minutes; a TCP connect answers in a moment."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--ray-address must be 'auto' or HOST:PORT, got '{address}'")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise UsageError(
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


def step_bytes(game, cnn_lstm: bool) -> int:
    """One environment step of a rollout: the observation as the network takes it (Atari frames uint8 after
    preprocessing, vectors float32), the action (int32 or float32 per component) and the per-step scalars."""
    import numpy as np

    if game.is_atari:
        from envs.atari import FRAME_STACK, make_atari_env

        probe = make_atari_env(game.game_id, 1 if cnn_lstm else FRAME_STACK)  # the preprocessed shape, not guessed
        obs_bytes = int(np.prod(probe.observation_space.shape)) * np.dtype(np.uint8).itemsize
        probe.close()
    else:
        obs_bytes = int(np.prod(game.obs_shape)) * np.dtype(np.float32).itemsize
    action_shape = getattr(game.action_space, "shape", None) or ()
    action_bytes = max(1, int(np.prod(action_shape))) * 4
    return obs_bytes + action_bytes + STEP_SCALAR_BYTES


def check_rollout_size(config, game, remedy: str = "lower --t-max, --envs-per-worker or --workers") -> None:
    """Refuse, before TensorFlow loads, rollouts that cannot fit in this machine's memory (allocating them would
    swap or hang) and in-graph updates too long to trace and compile."""
    from master_agent.config import GRAPH_MAX_T_MAX

    hp = config.hyperparams
    # Workers on this machine: all of them, except Ray actors spread over a cluster (then one must fit).
    workers = 1 if config.backend == "ray" and config.ray_address is not None else config.workers
    per_step = step_bytes(game, config.cnn_lstm)
    need = hp.t_max * hp.envs_per_worker * workers * per_step
    have = physical_memory()
    if have is not None and need > have:
        raise UsageError(
            f"rollouts of --t-max {hp.t_max:,} x {hp.envs_per_worker:,} environments x {workers:,} "
            f"worker{'s' * (workers != 1)} x {per_step:,} bytes a step would need {gib(need)} of memory; "
            f"this machine has {gib(have)} ({remedy})"
        )
    if config.env_impl == "tf" and hp.t_max > GRAPH_MAX_T_MAX:
        raise UsageError(
            f"--t-max {hp.t_max:,}: with the environments in TensorFlow (--env-impl tf) the update is one "
            f"graph unrolled over t_max steps, which would take too long to compile; use at most "
            f"{GRAPH_MAX_T_MAX}, or --env-impl gymnasium for longer rollouts"
        )


def gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"


def resume(args: argparse.Namespace) -> int:
    import dataclasses

    from envs import GameError, resolve_game
    from master_agent.resume import ResumeError, load_resume_point
    from rundir import RunPointerError, resolve_run_dir

    for name in TRAINING_ONLY:
        if getattr(args, name) not in (None, False):
            raise UsageError(f"--{name.replace('_', '-')} cannot change when resuming; it keeps the run's setting")
    quiet_atari()
    try:
        config, _, point = load_resume_point(resolve_run_dir(args.resume))
        game = resolve_game(config.game)
    except (ResumeError, GameError, RunPointerError) as exc:
        raise UsageError(str(exc)) from None
    changes = {name: getattr(args, name) for name in RESUME_MAY_CHANGE if getattr(args, name) is not None}
    if args.backend == "thread":
        changes["ray_address"] = None
    config = dataclasses.replace(config, **changes)
    check_backend(config.backend, config.ray_address)
    check_rollout_size(config, game, remedy="resume with fewer --workers")  # --workers may have grown

    from master_agent.backends import BackendError
    from master_agent.master import MasterAgent  # TensorFlow loads here, once the input is known to be good
    from rundir import CheckpointError

    try:
        master = MasterAgent(config, game, resume=point)
    except (CheckpointError, BackendError) as exc:
        raise UsageError(str(exc)) from None
    return master.train().exit_code


def train(args: argparse.Namespace) -> int:
    from envs import GameError, has_tf_env, resolve_game
    from envs.registry import TF_GAMES
    from master_agent import RunConfig, RunDirError
    from master_agent.config import DEFAULT_ENV_IMPL, MAX_SEED, defaults_for
    from worker import Hyperparams

    if args.seed is not None and args.seed > MAX_SEED:
        raise UsageError(f"argument --seed: must be between 0 and {MAX_SEED} (2**32 - 1) for training, got {args.seed}")
    quiet_atari()
    try:
        game = resolve_game(args.game)
    except GameError as exc:
        raise UsageError(str(exc)) from None
    if args.cnn_lstm and not game.is_atari:
        raise UsageError(
            f"--cnn-lstm needs an image game (Atari); '{game.game_id}' has observations of shape {game.obs_shape}"
        )
    if not game.is_atari and len(game.obs_shape) != 1:
        raise UsageError(
            f"'{game.game_id}' has observations of shape {game.obs_shape}; "
            "vector observations or Atari frames are supported"
        )
    env_impl = pick(args.env_impl, DEFAULT_ENV_IMPL)
    if env_impl == "tf" and not has_tf_env(game.game_id):
        raise UsageError(f"--env-impl tf: '{game.game_id}' has no TensorFlow port (ports: {', '.join(TF_GAMES)})")
    if env_impl == "auto":
        env_impl = "tf" if has_tf_env(game.game_id) else "gymnasium"
    defaults = defaults_for(game.is_atari, tf_env=env_impl == "tf")

    # Only what the user gave, plus the kind's defaults: every other value is the dataclasses' own default.
    hp_given = {
        "gamma": args.gamma,
        "entropy_beta": args.entropy_beta,
        "value_coef": args.value_coef,
        "max_grad_norm": args.max_grad_norm,
    }
    run_given = {
        "workers": args.workers,
        "seed": args.seed,
        "runs_dir": args.runs_dir,
        "checkpoint_every": args.checkpoint_every,
        "backend": args.backend,
        "ray_address": args.ray_address,
    }
    config = RunConfig(
        game=game.game_id,
        learning_rate=pick(args.lr, defaults.learning_rate),
        hyperparams=Hyperparams(
            t_max=pick(args.t_max, defaults.t_max),
            envs_per_worker=pick(args.envs_per_worker, defaults.envs_per_worker),
            clip_rewards=defaults.clip_rewards,
            **{name: value for name, value in hp_given.items() if value is not None},
        ),
        max_steps=pick(args.max_steps, defaults.max_steps),
        max_episodes=args.max_episodes,
        max_seconds=args.max_seconds,
        target_reward=pick(args.target_reward, game.reward_threshold),
        cnn_lstm=args.cnn_lstm,
        env_impl=env_impl,
        **{name: value for name, value in run_given.items() if value is not None},
    )
    check_runs_dir(config.runs_dir)
    check_backend(config.backend, config.ray_address)
    check_rollout_size(config, game)
    from master_agent.backends import BackendError
    from master_agent.master import MasterAgent  # TensorFlow loads here, once the input is known to be good
    from models import ModelError

    try:
        master = MasterAgent(config, game)
    except (RunDirError, ModelError, BackendError) as exc:
        raise UsageError(str(exc)) from None
    return master.train().exit_code


def plot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from plots import display_available, draw_reward_curves, read_target_reward
    from rundir import EpisodesError as CurveError
    from rundir import RunPointerError, read_episodes, resolve_run_dir

    if args.per_worker and len(args.plot) > 1:
        raise UsageError(f"--per-worker shows the workers of one run; got {len(args.plot)} runs")
    try:
        run_dirs = [resolve_run_dir(d) for d in args.plot]  # runs/latest -> the run it points to
        runs = [(d.name, read_episodes(d)) for d in run_dirs]
    except (CurveError, RunPointerError) as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out) if args.out else run_dirs[0] / "rewards-compare.png"
    if out.suffix.lower() != ".png":
        raise UsageError(f"--out must name a .png file, got '{out}'")
    if not out.parent.is_dir():
        raise UsageError(f"--out: directory '{out.parent}' does not exist")
    show = args.show and display_available()
    draw_reward_curves(
        runs,
        out,
        window=args.window,
        target=[read_target_reward(d) for d in run_dirs],
        show=show,
        x=args.x,
        per_worker=args.per_worker,
    )
    print(f"wrote {out}")
    if args.show and not show:
        print("note: no display here (DISPLAY is not set), so --show opened nothing", file=sys.stderr)
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from evaluate import EvalError, load_run_info
    from evaluate.recording import check_record_path
    from master_agent.config import EVAL_EPISODES, RunConfig, field_default

    try:
        info = load_run_info(args.eval)
        record = check_record_path(args.record) if args.record is not None else None
    except EvalError as exc:
        raise UsageError(str(exc)) from None
    from evaluate.player import evaluate_run  # TensorFlow loads here, once the input is known to be good

    quiet_atari()
    try:
        evaluate_run(
            info,
            episodes=pick(args.episodes, EVAL_EPISODES),
            greedy=args.greedy,
            seed=pick(args.seed, field_default(RunConfig, "seed")),
            record=record,
            record_every=args.record_every,
            record_scale=args.record_scale,
        )
    except EvalError as exc:
        raise UsageError(str(exc)) from None
    return 0


def check_eval_flags(args: argparse.Namespace) -> None:
    """Evaluation flags mean nothing to the other modes: say so rather than ignore them."""
    from master_agent.config import EVAL_RECORD_EVERY, EVAL_RECORD_SCALE

    given = [
        flag
        for flag, value in (("--episodes", args.episodes), ("--greedy", args.greedy or None), ("--record", args.record))
        if value is not None
    ]
    if args.eval is None and given:
        raise UsageError(f"{given[0]} applies only with --eval")
    if args.record is None and (args.record_every != EVAL_RECORD_EVERY or args.record_scale != EVAL_RECORD_SCALE):
        raise UsageError("--record-every and --record-scale apply only with --record")


def main(argv: list[str] | None = None) -> int:
    quiet_tensorflow_import()  # first: whichever import below loads TensorFlow, its start-up notices stay muted
    parser = build_parser()
    # Explicitly, whatever was inherited: a background job of a non-interactive shell starts with SIGINT ignored,
    # and Ctrl-C's contract (stop the workers, save, exit 130) must hold there too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        args = parser.parse_args(argv)
        check_eval_flags(args)
        if args.eval is not None:
            return evaluate(args)
        if args.plot is not None:
            return plot(args)
        if args.resume is not None:
            return resume(args)
        return train(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:  # before training started: nothing to save
        print("interrupted", file=sys.stderr)
        return getattr(exc, "exit_code", 130)


if __name__ == "__main__":
    sys.exit(main())
