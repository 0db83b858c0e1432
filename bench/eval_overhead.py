"""What evaluation during training costs the workers: env steps/s of training with it off and at given periods.

    python bench/eval_overhead.py --game CartPole-v1 --periods 0 50000 200000 --seconds 20 --repeats 3
    python bench/eval_overhead.py --game SpaceInvaders --periods 0 25000 --seconds 120 --repeats 2 -- --cnn-lstm

Each run is `run.py --game G --eval-every P --max-seconds S [extra flags]` in its own process (0: off), the
periods taken in turn within each repeat so that a drifting machine load hits all of them alike; steps/s =
global steps / seconds of training from the final checkpoint (start-up excluded). Classic games get
--target-reward 1e9 so that no run stops by solving, and the policy soon plays long episodes: the evaluations
are then at their most expensive. Printed: each period's median steps/s, its ratio to off, and the evaluations
that finished per run. The cost grows with how often evaluations run, so a period too rare to show within a
run's noise is measured at a shorter one and the cost scales by their ratio (say so when reporting).
"""

from __future__ import annotations

import argparse
import statistics

from _common import run_ours

NO_TARGET = "1e9"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--game", default="CartPole-v1")
    parser.add_argument("--periods", type=int, nargs="+", default=[0, 50_000], help="--eval-every values; 0: off")
    parser.add_argument("--seconds", type=float, default=20.0, help="training seconds per run (--max-seconds)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("extra", nargs="*", help="more run.py flags, after --")
    args = parser.parse_args()

    from envs import resolve_game

    flags = ["--game", args.game, "--max-seconds", str(args.seconds), *args.extra]
    if not resolve_game(args.game).is_atari:
        flags += ["--target-reward", NO_TARGET]
    print(f"{' '.join(flags)}; periods {args.periods}, {args.repeats} repeats", flush=True)
    rates: dict[int, list[float]] = {p: [] for p in args.periods}
    evals: dict[int, list[int]] = {p: [] for p in args.periods}
    for repeat in range(args.repeats):
        for period in args.periods:
            run = run_ours([*flags, "--eval-every", str(period)])
            rates[period].append(run.rate)
            evals[period].append(run.evaluations)
            print(f"  repeat {repeat + 1} period {period:>8,}: {run.rate:9,.0f} steps/s, "
                  f"{run.evaluations} evaluations", flush=True)  # fmt: skip
    base = statistics.median(rates[args.periods[0]])
    print(f"{'period':>10} {'median steps/s':>15} {'vs ' + str(args.periods[0]):>8}  evaluations per run")
    for period in args.periods:
        median = statistics.median(rates[period])
        print(f"{period:>10,} {median:>15,.0f} {median / base:>8.3f}  {evals[period]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
