"""CartPole-v1 with `--backend ray` beside the thread backend, same workers, seeds alternating.

    python bench/ray_vs_threads.py [--seeds 0 1 2] [--workers 2] [--budget 1000000]

Per run (its own process): training seconds to a 100-episode mean of 475, env steps to it, env steps per
training second, and process wall seconds (for Ray that includes starting a local Ray and its actors). Needs
requirements-ray.txt.
"""

from __future__ import annotations

import argparse
import statistics

from _common import run_ours, solve_target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=int, default=1_000_000)
    args = parser.parse_args()

    target, _ = solve_target("CartPole-v1")
    rows: dict[str, list] = {"thread": [], "ray": []}
    print(f"{'seed':>4}  {'backend':7} {'solved':>6} {'steps':>9} {'train s':>8} {'steps/s':>8} {'wall s':>7}")
    for seed in args.seeds:
        for backend in rows:
            run = run_ours(
                [
                    "--game",
                    "CartPole-v1",
                    "--backend",
                    backend,
                    "--workers",
                    str(args.workers),
                    "--seed",
                    str(seed),
                    "--max-steps",
                    str(args.budget),
                ]
            )
            rows[backend].append(run)
            print(
                f"{seed:>4}  {backend:7} {'yes' if run.solved else 'no':>6} {run.steps:>9,} {run.seconds:>8.1f} "
                f"{run.rate:>8,.0f} {run.wall:>7.1f}",
                flush=True,
            )
    medians = {}
    for backend, runs in rows.items():
        medians[backend] = {k: statistics.median(getattr(r, k) for r in runs) for k in ("seconds", "rate", "wall")}
        solved = sum(r.solved for r in runs)
        m = medians[backend]
        print(
            f"{backend}: solved {solved}/{len(runs)}; median {m['seconds']:.1f} s of training to {target:g}, "
            f"{m['rate']:,.0f} steps/s, {m['wall']:.1f} s process wall"
        )
    print(
        f"ray/thread: training time {medians['ray']['seconds'] / medians['thread']['seconds']:.2f}, "
        f"steps/s {medians['ray']['rate'] / medians['thread']['rate']:.2f}, "
        f"process wall {medians['ray']['wall'] / medians['thread']['wall']:.2f}"
    )


if __name__ == "__main__":
    main()
