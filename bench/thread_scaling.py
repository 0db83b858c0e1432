"""Env steps per second of our trainer with 1, 2, 4 worker threads, on CartPole-v1 and SpaceInvaders --cnn-lstm.

    python bench/thread_scaling.py [--workers-list 1 2 4] [--seconds 60] [--games CartPole-v1 SpaceInvaders]
                                   [--env-impl auto|tf|gymnasium]

One run per game and worker count, one after the other, each `run.py --workers W --max-seconds SECONDS` in its
own process; steps/s = global steps / seconds of training from the run's checkpoint (TF import and XLA
compilation excluded). Atari games run with --cnn-lstm (1 step = 4 frames). Classic games get
--target-reward 1e9, so a run never stops early by solving. Each worker keeps run.py's default number of
environments for the kind of game (printed per game), so the total number of environments grows with the
workers. `--env-impl` goes to the classic games' runs (CartPole: its TensorFlow port by default, or
gymnasium's NumPy env).
"""

from __future__ import annotations

import argparse
import sys

from _common import run_ours

NO_TARGET = "1e9"  # run.py has no "off" for --target-reward; a mean return no game reaches does the same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers-list", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=60.0, help="training seconds per run (--max-seconds)")
    parser.add_argument("--games", nargs="+", default=["CartPole-v1", "SpaceInvaders"])
    parser.add_argument("--env-impl", choices=("auto", "tf", "gymnasium"), default="auto")
    args = parser.parse_args()

    from envs import has_tf_env, resolve_game
    from master_agent.config import defaults_for

    for game in args.games:
        spec = resolve_game(game)
        atari = spec.is_atari
        flags = ["--cnn-lstm"] if atari else ["--target-reward", NO_TARGET, "--env-impl", args.env_impl]
        in_tf = not atari and args.env_impl != "gymnasium" and has_tf_env(spec.game_id)
        envs = defaults_for(atari, tf_env=in_tf).envs_per_worker  # what run.py picks, read where it reads it
        print(
            f"{game} {' '.join(flags)}, {envs} envs per worker, {args.seconds:g} s of training per run"
            f"{' (1 step = 4 frames)' if atari else ''}",
            flush=True,
        )
        base = None
        for workers in args.workers_list:
            run = run_ours(["--game", game, *flags, "--workers", str(workers), "--max-seconds", str(args.seconds)])
            base = base or run.rate
            print(
                f"  {workers} worker(s): {run.rate:9,.0f} steps/s  x{run.rate / base:.2f} vs "
                f"{args.workers_list[0]} worker(s)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
