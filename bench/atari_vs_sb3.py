"""Atari training speed, agent steps per second (1 agent step = 4 frames): ours beside Stable-Baselines3 A2C.

    python bench/atari_vs_sb3.py [--game SpaceInvaders] [--seconds 60] [--warmup 10] [--torch-threads N]

Three runs, one after the other, each in its own process and each for --seconds of training:
ours `--cnn-lstm` and ours feed-forward CNN (4 stacked frames), both `--workers 2` (run.py's default envs per
worker for Atari), read from the run's checkpoint (global steps / seconds of training: TF import and XLA compilation
excluded); and SB3 A2C `CnnPolicy` set up the rl-baselines3-zoo way: make_atari_env("<Game>NoFrameskip-v4",
n_envs=2, seed=0) + VecFrameStack(4), ent_coef 0.01, vf_coef 0.25, RMSpropTFLike(eps=1e-5), device cpu, its
timesteps counted between rollout ends over the window that follows --warmup seconds of learn.
Our v5 envs keep sticky actions on, the NoFrameskip-v4 envs have them off; the emulator costs the same.
Needs bench/requirements.txt (torch, stable-baselines3).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from _common import run_ours, run_worker, torch_threads

from master_agent.config import ATARI_DEFAULTS


def sb3_worker(game: str, seconds: float, warmup: float, threads: int | None) -> dict[str, Any]:
    """Train SB3 A2C for warmup + seconds; timesteps per second over the measured window."""
    n_threads = torch_threads(threads)
    import ale_py
    import gymnasium as gym
    from stable_baselines3 import A2C
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.sb2_compat.rmsprop_tf_like import RMSpropTFLike
    from stable_baselines3.common.vec_env import VecFrameStack

    gym.register_envs(ale_py)  # SB3 does not register the ALE ids itself

    class Window(BaseCallback):
        """(time, num_timesteps) at rollout ends: the window holds whole collect + train cycles."""

        def __init__(self) -> None:
            super().__init__()
            self.start = time.perf_counter()
            self.marks: list[tuple[float, int]] = []
            self.done = False

        def _on_step(self) -> bool:
            return not self.done

        def _on_rollout_end(self) -> None:
            now = time.perf_counter()
            if not self.marks and now - self.start >= warmup:
                self.marks.append((now, self.num_timesteps))
            elif self.marks and now - self.marks[0][0] >= seconds:
                self.marks.append((now, self.num_timesteps))
                self.done = True

    env = VecFrameStack(make_atari_env(f"{game}NoFrameskip-v4", n_envs=2, seed=0), n_stack=4)
    model = A2C(
        "CnnPolicy",
        env,
        ent_coef=0.01,
        vf_coef=0.25,
        device="cpu",
        seed=0,
        verbose=0,
        policy_kwargs=dict(optimizer_class=RMSpropTFLike, optimizer_kwargs=dict(eps=1e-5)),
    )
    window = Window()
    model.learn(total_timesteps=10**9, callback=window)
    (t0, n0), (t1, n1) = window.marks
    return {"rate": (n1 - n0) / (t1 - t0), "steps": n1 - n0, "seconds": t1 - t0, "torch_threads": n_threads}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--game", default="SpaceInvaders", help="short Atari name (default: SpaceInvaders)")
    parser.add_argument("--seconds", type=float, default=60.0, help="training seconds measured per run")
    parser.add_argument("--warmup", type=float, default=10.0, help="SB3: seconds of learn before the window")
    parser.add_argument(
        "--torch-threads",
        type=int,
        help="torch.set_num_threads for SB3 (default: torch's own, one per core; "
        "with other work on the cores, 1 can be many times faster)",
    )
    parser.add_argument("--sb3-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.sb3_worker:
        print(json.dumps(sb3_worker(args.game, args.seconds, args.warmup, args.torch_threads)))
        return 0

    print(f"{args.game}: agent steps/s (4 frames each) over {args.seconds:g} s of training")
    ours: dict[str, float] = {}
    for name, flags in (("ours --cnn-lstm", ["--cnn-lstm"]), ("ours CNN", [])):
        run = run_ours(["--game", args.game, *flags, "--workers", "2", "--max-seconds", str(args.seconds)])
        ours[name] = run.rate
        print(
            f"{name + f', 2 workers x {ATARI_DEFAULTS.envs_per_worker} envs:':<36} {run.rate:8,.0f} steps/s", flush=True
        )

    cmd = [
        sys.executable,
        __file__,
        "--sb3-worker",
        "--game",
        args.game,
        "--seconds",
        str(args.seconds),
        "--warmup",
        str(args.warmup),
    ]
    if args.torch_threads is not None:
        cmd += ["--torch-threads", str(args.torch_threads)]
    _, sb3 = run_worker(cmd)
    how = "torch default" if args.torch_threads is None else "--torch-threads"
    print(
        f"{'SB3 A2C CnnPolicy, 2 envs:':<36} {sb3['rate']:8,.0f} steps/s  "
        f"({sb3['steps']:,} steps in {sb3['seconds']:.1f} s; torch threads {sb3['torch_threads']}, {how})"
    )
    for name, rate in ours.items():
        print(f"{name} / SB3 = {rate / sb3['rate']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
