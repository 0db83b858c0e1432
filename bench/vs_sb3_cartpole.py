"""Time to solve CartPole-v1 (100-episode mean return >= 475): ours beside Stable-Baselines3 A2C.

    python bench/vs_sb3_cartpole.py [--seeds 0 1 2 3 4] [--budget 1000000] [--torch-threads N] [--json out.json]

For each seed, one after the other (never side by side): (a) `run.py --game CartPole-v1 --seed S --max-steps
BUDGET`, which stops itself when solved; (b) SB3 A2C with rl-baselines3-zoo's CartPole-v1 hyperparameters
(MlpPolicy, 8 envs from make_vec_env(seed=S), ent_coef 0.0, everything else A2C defaults, device cpu), stopped
by a callback when the mean of its last 100 finished episodes reaches 475, or at the budget. Each run is its own
process. Per run: process wall seconds (launch to exit: imports and start-up included), training seconds (ours:
from the start of training, TF import and XLA compilation excluded; SB3: from just before model.learn), env
steps to 475 and env steps per training second. Unsolved runs count at what they used (a lower bound).
Needs bench/requirements.txt (torch, stable-baselines3).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import deque
from typing import Any

from _common import run_ours, run_worker, solve_target, torch_threads

GAME = "CartPole-v1"
TARGET, WINDOW = solve_target(GAME)  # where run.py stops by default: 475 over the last 100 episodes
FIELDS = ("solved", "steps", "seconds", "wall", "rate")


def sb3_worker(seed: int, budget: int, threads: int | None) -> dict[str, Any]:
    """One SB3 A2C run in this process; returns what the parent reports."""
    n_threads = torch_threads(threads)
    from stable_baselines3 import A2C
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    class StopAtTarget(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.returns: deque[float] = deque(maxlen=WINDOW)
            self.solved_at: tuple[int, float] | None = None

        def _on_step(self) -> bool:
            self.returns.extend(float(i["episode"]["r"]) for i in self.locals["infos"] if "episode" in i)
            if len(self.returns) == WINDOW and sum(self.returns) / WINDOW >= TARGET:
                self.solved_at = (self.num_timesteps, time.perf_counter())
                return False
            return True

    env = make_vec_env(GAME, n_envs=8, seed=seed)
    model = A2C("MlpPolicy", env, ent_coef=0.0, device="cpu", seed=seed, verbose=0)
    callback = StopAtTarget()
    start = time.perf_counter()
    model.learn(total_timesteps=budget, callback=callback)
    steps, end = callback.solved_at or (model.num_timesteps, time.perf_counter())
    return {
        "solved": callback.solved_at is not None,
        "steps": steps,
        "seconds": end - start,
        "torch_threads": n_threads,
    }


def show(side: str, seed: int, r: dict[str, Any]) -> None:
    print(
        f"{seed:>4}  {side:<5} {'yes' if r['solved'] else 'no':>6}  {r['steps']:>10,}  {r['seconds']:>8.1f}  "
        f"{r['wall']:>7.1f}  {r['rate']:>9,.0f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--budget", type=int, default=1_000_000, help="env steps per run (default: 1,000,000)")
    parser.add_argument(
        "--torch-threads",
        type=int,
        help="torch.set_num_threads for SB3 (default: torch's own, one per core; "
        "with other work on the cores, 1 can be many times faster)",
    )
    parser.add_argument("--json", metavar="OUT", help="also write the raw numbers here")
    parser.add_argument("--sb3-worker", type=int, metavar="SEED", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.sb3_worker is not None:
        print(json.dumps(sb3_worker(args.sb3_worker, args.budget, args.torch_threads)))
        return 0

    rows: dict[str, list[dict[str, Any]]] = {"ours": [], "sb3": []}
    threads = None
    print(f"{GAME} to a {WINDOW}-episode mean of {TARGET:g}, budget {args.budget:,} env steps per run")
    print("seed  side  solved  env steps  train s   wall s    steps/s")
    for seed in args.seeds:
        ours = run_ours(["--game", GAME, "--seed", str(seed), "--max-steps", str(args.budget)])
        r = {
            "seed": seed,
            "solved": ours.solved,
            "steps": ours.steps,
            "seconds": ours.seconds,
            "wall": ours.wall,
            "rate": ours.steps / ours.seconds,
        }
        rows["ours"].append(r)
        show("ours", seed, r)

        cmd = [sys.executable, __file__, "--sb3-worker", str(seed), "--budget", str(args.budget)]
        if args.torch_threads is not None:
            cmd += ["--torch-threads", str(args.torch_threads)]
        wall, r = run_worker(cmd)
        threads = r.pop("torch_threads")
        r.update(seed=seed, wall=wall, rate=r["steps"] / r["seconds"])
        rows["sb3"].append(r)
        show("sb3", seed, r)

    how = "torch default" if args.torch_threads is None else "--torch-threads"
    print(f"SB3 A2C ran with torch.set_num_threads = {threads} ({how})")
    medians = {side: {k: statistics.median(float(r[k]) for r in rs) for k in FIELDS[1:]} for side, rs in rows.items()}
    for side, rs in rows.items():
        m = medians[side]
        print(
            f"{side:<5} solved {sum(r['solved'] for r in rs)}/{len(rs)}  median: {m['steps']:,.0f} env steps, "
            f"{m['seconds']:.1f} s training, {m['wall']:.1f} s wall, {m['rate']:,.0f} steps/s"
        )
    o, s = medians["ours"], medians["sb3"]
    print(
        f"ours/SB3 median time: process wall {o['wall'] / s['wall']:.2f}, training seconds "
        f"{o['seconds'] / s['seconds']:.2f}  (env steps {o['steps'] / s['steps']:.2f})"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "target": TARGET,
                    "budget": args.budget,
                    "seeds": args.seeds,
                    "sb3_torch_threads": threads,
                    "runs": rows,
                    "medians": medians,
                },
                f,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
