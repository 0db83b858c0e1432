"""Agent steps per second (1 step = 4 frames) of `--cnn-lstm` training on SpaceInvaders, beside the raw speed
of the same preprocessed environment stepped with random actions in one thread, in the same run.

    python bench/atari_throughput.py [--game SpaceInvaders] [--seconds 60] [--workers 1 2]

Training speed is read from the run's checkpoint (global steps / seconds of training, so start-up and
XLA compilation are not counted); the ratio trainer/raw is what to compare across machines.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def raw_env_speed(game: str, seconds: float) -> float:
    from envs import resolve_game
    from envs.atari import make_atari_env

    env = make_atari_env(resolve_game(game).game_id, frame_stack=1)
    env.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        steps += 1
        if terminated or truncated:
            env.reset()
    rate = steps / (time.perf_counter() - start)
    env.close()
    return rate


def trainer_speed(game: str, workers: int, seconds: float, extra: list[str]) -> float:
    from rundir import read_checkpoint

    with tempfile.TemporaryDirectory() as runs:
        cmd = [
            sys.executable,
            str(ROOT / "run.py"),
            "--game",
            game,
            "--cnn-lstm",
            "--workers",
            str(workers),
            "--max-seconds",
            str(seconds),
            "--runs-dir",
            runs,
            *extra,
        ]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        (run_dir,) = [p for p in Path(runs).iterdir() if p.name != "latest"]
        state = read_checkpoint(run_dir).state
    return state["global_step"] / state["seconds"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--game", default="SpaceInvaders")
    parser.add_argument("--seconds", type=float, default=60.0, help="training seconds per measurement")
    parser.add_argument("--raw-seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="flags passed on to run.py (after --)")
    args = parser.parse_args()
    extra = [a for a in args.extra if a != "--"]

    raw = raw_env_speed(args.game, args.raw_seconds)
    print(f"raw preprocessed env, random actions, 1 thread: {raw:8,.0f} agent steps/s", flush=True)
    for workers in args.workers:
        rate = trainer_speed(args.game, workers, args.seconds, extra)
        print(
            f"--cnn-lstm training, {workers} worker(s):        {rate:8,.0f} agent steps/s  "
            f"trainer/raw = {rate / raw:.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
