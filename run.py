"""Command line: parse, validate, and hand over to training, resuming, curve viewing or evaluation."""

from __future__ import annotations

import argparse
import ast
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter hides the progress lines

from evaluate.recording import MAX_FRAMES as EVAL_MAX_FRAMES  # noqa: E402  (no TensorFlow there: --help stays quick)
from master_agent.quiet_start import quiet_tensorflow_import  # noqa: E402

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input: reported as one line on stderr with exit status 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (stop the workers, save, exit) but with its own exit status."""

    exit_code = 143


def raise_terminated(signum, frame):
    raise Terminated()


def env_kwarg(text: str) -> tuple[str, Any]:
    """One `--env-kwargs` token, KEY=VALUE: the value read as JSON (5, 0.5, true, null, [1, 2], "a b"), else as a
    Python literal (True, None, (1, 2)), else kept as the text it is (`map_name=8x8`)."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got '{text}'")
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        pass
    try:
        return key.strip(), ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return key.strip(), value


def rule(name: str) -> Callable[[str], Any]:
    """A setting's argparse `type=`: its rule in master_agent.settings, the one files and the Python API obey."""
    from master_agent.settings import RULES

    return RULES[name].parse


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
        TARGET_ON,
        RunConfig,
        default_workers,
        describe_per_kind,
        field_default,
        show,
    )
    from master_agent.settings import FRACTION, POSITIVE_FLOAT, POSITIVE_INT
    from tuning.space import DEFAULT_TUNE_PARAMS, SEARCH_SPACE, TUNE_TRIAL_SECONDS, TUNE_TRIAL_SEEDS, TUNE_TRIALS
    from worker import Hyperparams
    from worker.hyperparams import ACTION_BOUNDS_CHOICES, CONV_ACTIVATION_CHOICES, LOG_STD_CHOICES, SCHEDULE_CHOICES

    def run_default(name: str) -> str:
        return show(field_default(RunConfig, name))

    def show_period(steps: int | None) -> str:
        return show(steps) if steps else "off"

    def hp_default(name: str) -> str:
        return show(field_default(Hyperparams, name))

    p = OneLineParser(
        prog="run.py",
        description="Train A3C (threaded workers, or Ray actors) on a gymnasium game, view saved reward curves, "
        "evaluate a trained run.",
        formatter_class=DefaultsFormatter,
    )
    mode = p.add_mutually_exclusive_group()  # one is required, or --config naming its game (main checks)
    mode.add_argument(
        "--game",
        help="gymnasium id (CartPole-v1, ALE/Pong-v5), a short Atari name (SpaceInvaders), or module:EnvId-v0 "
        "(the module is imported first; importing it registers the id)",
    )
    mode.add_argument("--plot", nargs="+", metavar="RUN_DIR", help="draw and compare the reward curves of saved runs")
    mode.add_argument(
        "--eval",
        metavar="RUN_DIR",
        help="play episodes with a saved run's trained network and print their scores (runs/latest is the newest run)",
    )
    mode.add_argument(
        "--export",
        nargs=2,
        metavar=("RUN_DIR", "OUT_DIR"),
        help="write a saved run's network as a TensorFlow SavedModel for serving (observations -> action "
        "distribution parameters, greedy actions, values)",
    )
    mode.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue a run from its checkpoint: same settings, counters and episodes.csv go on; "
        "budgets (--max-*, --target-reward), --workers and --checkpoint-every may be given anew",
    )

    train = p.add_argument_group("training")
    train.add_argument(
        "--config",
        metavar="FILE.yaml",
        help="settings from a YAML file, named as the flags are (lr: 0.001, t_max: 5, game: CartPole-v1); "
        "they override the game's preset, and flags override them",
    )
    train.add_argument(
        "--no-preset",
        action="store_true",
        help="ignore the game's preset (presets/GAME.yaml), train with its kind's defaults",
    )
    train.add_argument(
        "--env-kwargs",
        nargs="+",
        type=env_kwarg,
        metavar="KEY=VALUE",
        help="arguments for the game's constructor, as gymnasium.make takes them (map_name=8x8 is_slippery=false); "
        "values are read as JSON, else as Python literals, else as text; kept in config.json for --eval and --resume",
    )
    train.add_argument(
        "--workers",
        type=rule("workers"),
        help=f"worker threads (default: the CPU cores, {default_workers()} here; one more for Atari)",
    )
    train.add_argument(
        "--envs-per-worker",
        type=rule("envs_per_worker"),
        help="environments each worker steps side by side, one network call acting for all "
        f"(default: {describe_per_kind('envs_per_worker')})",
    )
    train.add_argument(
        "--cnn-lstm",
        action=argparse.BooleanOptionalAction,
        help="image games: CNN + LSTM(256) on single frames instead of a CNN on 4 stacked frames (default: off, "
        "or the game's preset)",
    )
    train.add_argument(
        "--max-steps",
        type=rule("max_steps"),
        help="stop after this many environment (agent) steps, all workers together "
        f"(default: {describe_per_kind('max_steps')})",
    )
    train.add_argument("--max-episodes", type=rule("max_episodes"), help="stop after this many finished episodes")
    train.add_argument("--max-seconds", type=rule("max_seconds"), help="stop after this many seconds of training")
    train.add_argument(
        "--target-reward",
        type=rule("target_reward"),
        help=f"stop when the mean return of the last {run_default('target_window')} episodes "
        "reaches this "
        "(default: the game's reward_threshold, 475 for CartPole-v1)",
    )
    train.add_argument(
        "--seed",
        type=rule("seed"),
        help=f"seed for weights, environments and sampling; training takes 0 to {MAX_SEED} "
        f"(default: {run_default('seed')})",
    )
    train.add_argument(
        "--lr", type=rule("lr"), help=f"Adam learning rate (default: {describe_per_kind('learning_rate')})"
    )
    train.add_argument(
        "--lr-schedule",
        choices=SCHEDULE_CHOICES,
        help="linear: the learning rate falls linearly to 0 over the step budget (--max-steps), as in the A3C paper "
        f"(default: {run_default('lr_schedule')})",
    )
    train.add_argument("--gamma", type=rule("gamma"), help=f"discount factor (default: {hp_default('gamma')})")
    train.add_argument(
        "--t-max", type=rule("t_max"), help=f"steps per environment per update (default: {describe_per_kind('t_max')})"
    )
    train.add_argument(
        "--entropy-beta",
        type=rule("entropy_beta"),
        help=f"entropy bonus weight (default: {describe_per_kind('entropy_beta')})",
    )
    train.add_argument(
        "--entropy-schedule",
        choices=SCHEDULE_CHOICES,
        help="linear: the entropy weight moves linearly from --entropy-beta to --entropy-beta-final over the step "
        f"budget (--max-steps) (default: {hp_default('entropy_schedule')})",
    )
    train.add_argument(
        "--entropy-beta-final",
        type=rule("entropy_beta_final"),
        help=f"where a linear entropy schedule ends (default: {hp_default('entropy_beta_final')})",
    )
    train.add_argument(
        "--value-coef", type=rule("value_coef"), help=f"value loss weight (default: {hp_default('value_coef')})"
    )
    train.add_argument(
        "--gae-lambda",
        type=rule("gae_lambda"),
        help="below 1: GAE(lambda) advantages and lambda-returns as the critic's target; 1: the A3C paper's n-step "
        f"returns (default: {hp_default('gae_lambda')})",
    )
    train.add_argument(
        "--max-grad-norm",
        type=rule("max_grad_norm"),
        help=f"clip gradients to this global norm (default: {describe_per_kind('max_grad_norm')})",
    )
    train.add_argument(
        "--normalize-obs",
        action=argparse.BooleanOptionalAction,
        help="normalize observations by their running mean and variance (shared by all workers, saved with the "
        f"weights, frozen when evaluating) (default: {describe_per_kind('normalize_obs')})",
    )
    train.add_argument(
        "--normalize-reward",
        action=argparse.BooleanOptionalAction,
        help="scale rewards for the loss by the running spread of the discounted return (logged returns stay real) "
        f"(default: {describe_per_kind('normalize_reward')})",
    )
    train.add_argument(
        "--log-std",
        choices=LOG_STD_CHOICES,
        help="Box actions: the Gaussian policy's log-std is one learned vector, or an output of the network for "
        f"each state (default: {hp_default('log_std')})",
    )
    train.add_argument(
        "--action-bounds",
        choices=ACTION_BOUNDS_CHOICES,
        help="Box actions: the environment receives the Gaussian sample clipped to the bounds, or squashed into them "
        f"with tanh (default: {hp_default('action_bounds')})",
    )
    train.add_argument(
        "--conv-activation",
        choices=CONV_ACTIVATION_CHOICES,
        help="image games: the CNN's activation; elu cannot die, as relu's units can early in training "
        f"(default: {hp_default('conv_activation')})",
    )
    train.add_argument(
        "--layer-norm",
        action=argparse.BooleanOptionalAction,
        help="image games: LayerNorm on the CNN's dense features, which keeps them alive and at unit scale "
        f"(default: {describe_per_kind('layer_norm')})",
    )
    train.add_argument(
        "--terminal-on-life-loss",
        action=argparse.BooleanOptionalAction,
        help="Atari: a lost life ends the return the loss bootstraps, as the game's end does (training only: the game "
        f"and its logged score go on) (default: {describe_per_kind('terminal_on_life_loss')})",
    )
    train.add_argument(
        "--eval-every",
        type=rule("eval_every"),
        help="every N environment steps, play greedy episodes with a snapshot of the weights (eval.csv; the best "
        f"weights kept in best/); 0: off (default: {describe_per_kind('eval_every', show_period)})",
    )
    train.add_argument(
        "--eval-episodes",
        type=rule("eval_episodes"),
        help=f"episodes each evaluation during training plays (default: {run_default('eval_episodes')})",
    )
    train.add_argument(
        "--target-on",
        choices=TARGET_ON,
        help="what --target-reward is compared with: the mean of the last training episodes, or an evaluation's "
        "mean, confirmed over as many fresh greedy episodes (their mean less three standard errors) before the run "
        "stops (needs --eval-every) "
        f"(default: {run_default('target_on')})",
    )
    train.add_argument("--runs-dir", help=f"where run directories are created (default: {run_default('runs_dir')})")
    train.add_argument(
        "--checkpoint-every",
        type=rule("checkpoint_every"),
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

    search = p.add_argument_group("hyperparameter search (with --tune; needs requirements-tune.txt)")
    search.add_argument(
        "--tune",
        action="store_true",
        help="search the game's settings with Optuna (TPE sampler, median pruner); the study lives in --study-dir, "
        "and --tune again continues it; prints the table of trials and writes best.yaml for --config",
    )
    search.add_argument(
        "--trials", type=POSITIVE_INT.parse, help=f"finished trials the study should have (default: {TUNE_TRIALS})"
    )
    search.add_argument(
        "--trial-seconds",
        type=POSITIVE_FLOAT.parse,
        help=f"seconds of training per trial (default: {TUNE_TRIAL_SECONDS:g})",
    )
    search.add_argument(
        "--trial-seeds",
        type=POSITIVE_INT.parse,
        help=f"runs per trial, each on its own seed; a trial's value is their mean (default: {TUNE_TRIAL_SEEDS})",
    )
    search.add_argument(
        "--tune-params",
        metavar="NAME,NAME",
        help=f"settings to search, comma-separated, from: {', '.join(SEARCH_SPACE)} "
        f"(default: {','.join(DEFAULT_TUNE_PARAMS)})",
    )
    search.add_argument("--study-dir", help="where the study lives (default: RUNS_DIR/tune-GAME)")

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
        type=POSITIVE_INT.parse,
        default=field_default(RunConfig, "target_window"),
        help="episodes in the moving average",
    )
    plot.add_argument("--per-worker", action="store_true", help="one line per worker of a single run")

    ev = p.add_argument_group("evaluating a run (with --eval; --seed seeds the games and the sampling)")
    ev.add_argument(
        "--best",
        action="store_true",
        help="with --eval or --export: the weights of the best evaluation during training (best/) instead of the "
        "last checkpoint",
    )
    ev.add_argument("--episodes", type=POSITIVE_INT.parse, help=f"episodes to play (default: {EVAL_EPISODES})")
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
        "--record-every", type=POSITIVE_INT.parse, default=EVAL_RECORD_EVERY, help="keep 1 frame in N of the recording"
    )
    ev.add_argument(
        "--record-scale",
        type=FRACTION.parse,
        default=EVAL_RECORD_SCALE,
        help="resize the recording's frames by this factor",
    )
    return p


# Flags that set what a run computes: a resumed run keeps its own.
TRAINING_ONLY = (
    "env_kwargs",
    "envs_per_worker",
    "cnn_lstm",
    "env_impl",
    "seed",
    "lr",
    "gamma",
    "t_max",
    "entropy_beta",
    "value_coef",
    "gae_lambda",
    "max_grad_norm",
    "runs_dir",
    "lr_schedule",
    "entropy_schedule",
    "entropy_beta_final",
    "log_std",
    "action_bounds",
    "conv_activation",
    "layer_norm",
    "terminal_on_life_loss",
    "normalize_obs",
    "normalize_reward",
)


def given_settings(args: argparse.Namespace, names) -> dict:
    """The settings the user gave on the command line (None: not given, the default applies)."""
    return {name: getattr(args, name) for name in names}


def resume(args: argparse.Namespace) -> int:
    import a3c
    from master_agent.launch import RESUME_MAY_CHANGE

    for name in TRAINING_ONLY:
        if getattr(args, name) not in (None, False):
            raise UsageError(f"--{name.replace('_', '-')} cannot change when resuming; it keeps the run's setting")
    return a3c.resume(args.resume, **given_settings(args, RESUME_MAY_CHANGE)).exit_code


def env_kwargs_given(args: argparse.Namespace) -> dict[str, Any] | None:
    """`--env-kwargs`' KEY=VALUE tokens as a dict (None: not given)."""
    if args.env_kwargs is None:
        return None
    kwargs: dict[str, Any] = {}
    for key, value in args.env_kwargs:
        if key in kwargs:
            raise UsageError(f"argument --env-kwargs: '{key}' is given twice")
        kwargs[key] = value
    return kwargs


def train(args: argparse.Namespace) -> int:
    import a3c
    from master_agent.launch import SETTINGS

    settings = given_settings(args, SETTINGS)
    settings["env_kwargs"] = env_kwargs_given(args)
    config = a3c.make_config(args.game, config_file=args.config, preset=not args.no_preset, **settings)
    return a3c.train(config).exit_code


def tune(args: argparse.Namespace) -> int:
    import importlib.util

    from master_agent.launch import SETTINGS
    from tuning.space import TUNE_TRIAL_SECONDS, TUNE_TRIAL_SEEDS, TUNE_TRIALS

    if importlib.util.find_spec("optuna") is None:
        raise UsageError("--tune needs Optuna, which is not installed: pip install -r requirements-tune.txt")
    from tuning.search import tune as run_study

    settings = given_settings(args, SETTINGS)
    settings["env_kwargs"] = env_kwargs_given(args)
    params = [name.strip() for name in args.tune_params.split(",")] if args.tune_params else None
    study = run_study(
        args.game,
        trials=args.trials or TUNE_TRIALS,
        trial_seconds=args.trial_seconds or TUNE_TRIAL_SECONDS,
        trial_seeds=args.trial_seeds or TUNE_TRIAL_SEEDS,
        params=params,
        study_dir=args.study_dir,
        config_file=args.config,
        preset=not args.no_preset,
        **settings,
    )
    if study.interrupted:
        return 130
    return 0 if study.best() is not None else 1


def plot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from plots import display_available, draw_reward_curves, read_target_reward
    from rundir import EpisodesError as CurveError
    from rundir import RunPointerError, read_episodes, read_evals, resolve_run_dir

    if args.per_worker and len(args.plot) > 1:
        raise UsageError(f"--per-worker shows the workers of one run; got {len(args.plot)} runs")
    try:
        run_dirs = [resolve_run_dir(d) for d in args.plot]  # runs/latest -> the run it points to
        runs = [(d.name, read_episodes(d)) for d in run_dirs]
        evaluations = [read_evals(d) for d in run_dirs]  # empty for runs that never evaluated
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
        evaluations=evaluations,
    )
    print(f"wrote {out}")
    if args.show and not show:
        print("note: no display here (DISPLAY is not set), so --show opened nothing", file=sys.stderr)
    return 0


def evaluate(args: argparse.Namespace) -> int:
    import a3c
    from master_agent.config import EVAL_EPISODES, RunConfig, field_default
    from master_agent.launch import pick

    a3c.evaluate(
        args.eval,
        episodes=pick(args.episodes, EVAL_EPISODES),
        greedy=args.greedy,
        seed=pick(args.seed, field_default(RunConfig, "seed")),
        best=args.best,
        record=args.record,
        record_every=args.record_every,
        record_scale=args.record_scale,
    )
    return 0


def export(args: argparse.Namespace) -> int:
    import a3c

    run_dir, out_dir = args.export
    path = a3c.export(run_dir, out_dir, best=args.best)
    print(
        f"wrote {path}: a TensorFlow SavedModel (serving_default: observations -> policy_params, greedy_action, value)"
    )
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
    if args.best and args.eval is None and args.export is None:
        raise UsageError("--best applies only with --eval or --export")
    modes = [args.game, args.plot, args.eval, args.export, args.resume]
    if all(mode is None for mode in modes) and args.config is None:
        raise UsageError("one of the arguments --game --plot --eval --export --resume --config is required")
    training = args.resume is None and all(mode is None for mode in (args.plot, args.eval, args.export))
    if args.env_kwargs is not None and not training:
        raise UsageError("--env-kwargs applies only with --game (a saved run keeps its own)")
    search = [
        f
        for f, v in (
            ("--trials", args.trials),
            ("--trial-seconds", args.trial_seconds),
            ("--trial-seeds", args.trial_seeds),
            ("--tune-params", args.tune_params),
            ("--study-dir", args.study_dir),
        )
        if v is not None
    ]
    if search and not args.tune:
        raise UsageError(f"{search[0]} applies only with --tune")
    if args.tune and not training:
        raise UsageError("--tune searches settings for a new game's runs; it does not go with a saved run")
    if (args.config is not None or args.no_preset) and not training:
        raise UsageError(f"{'--config' if args.config is not None else '--no-preset'} applies only to a new run")
    if args.record is None and (args.record_every != EVAL_RECORD_EVERY or args.record_scale != EVAL_RECORD_SCALE):
        raise UsageError("--record-every and --record-scale apply only with --record")


def a3c_bad_input() -> tuple[type[Exception], ...]:
    """The errors the Python API raises for bad input: one line each."""
    from a3c import BAD_INPUT

    return BAD_INPUT


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
        if args.export is not None:
            return export(args)
        if args.plot is not None:
            return plot(args)
        if args.resume is not None:
            return resume(args)
        if args.tune:
            return tune(args)
        return train(args)
    except (UsageError, *a3c_bad_input()) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:  # before training started: nothing to save
        print("interrupted", file=sys.stderr)
        return getattr(exc, "exit_code", 130)


if __name__ == "__main__":
    sys.exit(main())
