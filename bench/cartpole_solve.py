"""Time to solve CartPole-v1: wall seconds and env steps until the 100-episode mean reaches 475 (run.py's target).

Runs `run.py --game CartPole-v1` once per seed (one after another, so runs do not share the cores)
and reads each run's episodes.csv. Seconds count from the start of training, as the summary line does.

    python bench/cartpole_solve.py --seeds 0 1 2 3 4 [-- extra run.py flags]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import solve_target  # noqa: E402

from plots import moving_average  # noqa: E402
from rundir import read_episodes  # noqa: E402

GAME = "CartPole-v1"
TARGET, WINDOW = solve_target(GAME)  # run.py's defaults: the game's reward_threshold, over its window of episodes


def solve_point(run_dir: Path) -> tuple[float | None, int | None, float]:
    """(seconds, steps) at the first episode whose WINDOW-episode mean reaches the target, and steps/s overall."""
    ep = read_episodes(run_dir)
    avg = moving_average(ep["return"], WINDOW)
    full = avg[WINDOW - 1 :] if len(avg) >= WINDOW else avg[:0]
    hits = [i + WINDOW - 1 for i, a in enumerate(full) if a >= TARGET]
    rate = ep["global_step"][-1] / ep["seconds"][-1] if len(ep["seconds"]) and ep["seconds"][-1] > 0 else 0.0
    if not hits:
        return None, None, rate
    i = hits[0]
    return float(ep["seconds"][i]), int(ep["global_step"][i]), rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--max-seconds", type=float, default=120.0, help="budget per run")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="flags passed on to run.py (after --)")
    args = parser.parse_args()
    extra = [a for a in args.extra if a != "--"]

    rows = []
    with tempfile.TemporaryDirectory() as runs:
        for seed in args.seeds:
            cmd = [
                sys.executable,
                str(ROOT / "run.py"),
                "--game",
                GAME,
                "--seed",
                str(seed),
                "--max-seconds",
                str(args.max_seconds),
                "--target-reward",
                str(TARGET),
                "--runs-dir",
                runs,
                *extra,
            ]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            run_dir = max((p for p in Path(runs).iterdir() if p.name != "latest"), key=lambda p: p.stat().st_mtime)
            seconds, steps, rate = solve_point(run_dir)
            rows.append((seed, seconds, steps, rate))
            shown = f"{seconds:8.1f} {steps:>10,}" if seconds is not None else f"{'-':>8} {'-':>10}"
            print(f"seed {seed:>3}  {shown}  {rate:>9,.0f} steps/s", flush=True)

    solved = [r for r in rows if r[1] is not None]
    print(f"solved {len(solved)}/{len(rows)} seeds (budget {args.max_seconds:g} s each)")
    if solved:
        # Unsolved seeds count as the budget, so a median over all seeds never flatters.
        secs = [r[1] if r[1] is not None else args.max_seconds for r in rows]
        print(f"median seconds to {TARGET:g}: {statistics.median(secs):.1f}")
        print(f"median steps to {TARGET:g}: {statistics.median(r[2] for r in solved):,.0f} (solved seeds)")
    print(f"median steps/s: {statistics.median(r[3] for r in rows):,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
