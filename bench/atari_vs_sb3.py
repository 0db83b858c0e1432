"""Atari training speed, agent steps per second (1 agent step = 4 frames): ours beside Stable-Baselines3 A2C, and
beside the emulator alone.

    python bench/atari_vs_sb3.py [--game SpaceInvaders] [--seconds 60] [--warmup 10] [--torch-threads N]

Four measurements, one after the other, each in its own process and each for --seconds:
- the emulator alone: the environments training steps (2 workers x run.py's Atari envs per worker, ale-py's
  `AtariVectorEnv` with its preprocessing, one frame per step as `--cnn-lstm` takes), random actions, one Python
  thread per worker; the limit a trainer on this machine cannot pass, so ours / emulator is the trainer's share;
- ours `--cnn-lstm` and ours feed-forward CNN (4 stacked frames), both `--workers 2` with run.py's Atari defaults,
  read from the run's checkpoint (global steps / seconds of training: TF import and XLA compilation excluded);
- SB3 A2C `CnnPolicy` set up as rl-baselines3-zoo's `a2c.yml` sets up Atari: make_atari_env("<Game>NoFrameskip-v4",
  n_envs=16, seed=0) + VecFrameStack(4), ent_coef 0.01, vf_coef 0.25, RMSpropTFLike(eps=1e-5), device cpu, its
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

SB3_ENVS = 16  # rl-baselines3-zoo's a2c.yml, atari: n_envs


def emulator_worker(game: str, seconds: float) -> dict[str, Any]:
    """Step the environments training steps with random actions, one thread per worker; steps per second."""
    import threading

    import numpy as np

    from envs import make_vector_env, resolve_game

    spec = resolve_game(game)
    envs = [make_vector_env(spec, ATARI_DEFAULTS.envs_per_worker, recurrent=True) for _ in range(2)]
    for i, env in enumerate(envs):
        env.reset(seed=i * 1000)
    counts = [0, 0]
    stop = time.perf_counter() + seconds

    def play(i: int) -> None:
        env, rng = envs[i], np.random.default_rng(i)
        while time.perf_counter() < stop:
            env.step(rng.integers(env.single_action_space.n, size=env.num_envs))
            counts[i] += env.num_envs

    start = time.perf_counter()
    threads = [threading.Thread(target=play, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for env in envs:
        env.close()
    return {"rate": sum(counts) / elapsed, "steps": sum(counts), "seconds": elapsed}


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

    env = VecFrameStack(make_atari_env(f"{game}NoFrameskip-v4", n_envs=SB3_ENVS, seed=0), n_stack=4)
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
    parser.add_argument("--emulator-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.sb3_worker:
        print(json.dumps(sb3_worker(args.game, args.seconds, args.warmup, args.torch_threads)))
        return 0
    if args.emulator_worker:
        print(json.dumps(emulator_worker(args.game, args.seconds)))
        return 0

    print(f"{args.game}: agent steps/s (4 frames each) over {args.seconds:g} s of training")
    envs = f"2 workers x {ATARI_DEFAULTS.envs_per_worker} envs"
    _, emulator = run_worker(
        [sys.executable, __file__, "--emulator-worker", "--game", args.game, "--seconds", str(args.seconds)]
    )
    print(
        f"{f'emulator alone, {envs}:':<36} {emulator['rate']:8,.0f} steps/s  (random actions, no network)", flush=True
    )
    ours: dict[str, float] = {}
    for name, flags in (("ours --cnn-lstm", ["--cnn-lstm"]), ("ours CNN", [])):
        run = run_ours(["--game", args.game, *flags, "--workers", "2", "--max-seconds", str(args.seconds)])
        ours[name] = run.rate
        print(f"{f'{name}, {envs}:':<36} {run.rate:8,.0f} steps/s", flush=True)

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
        f"{f'SB3 A2C CnnPolicy, {SB3_ENVS} envs:':<36} {sb3['rate']:8,.0f} steps/s  "
        f"({sb3['steps']:,} steps in {sb3['seconds']:.1f} s; torch threads {sb3['torch_threads']}, {how})"
    )
    for name, rate in ours.items():
        print(f"{name} / SB3 = {rate / sb3['rate']:.2f}; / emulator alone = {rate / emulator['rate']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
