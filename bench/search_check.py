"""Did a search find settings that beat what the game trains with today, on seeds the search never saw?

    python bench/search_check.py STUDY_DIR [--seeds 100 101 102 103 104] [--eval-episodes 30] [--json OUT]

STUDY_DIR is a `run.py --tune` study (its best.yaml and the trials' run directories). Per fresh seed, two runs,
each in its own process and each for the study's trial time (the `max_seconds` its trials ran):
    defaults:  python run.py --game G --seed s --max-seconds S --target-reward 1e9
    searched:  python run.py --config STUDY_DIR/best.yaml --seed s --max-seconds S --target-reward 1e9
("defaults" is what `--game G` trains with: its preset where it has one; both sides add --no-preset when the
study ran with it.) Neither stops early, as no trial did.
Each run is judged as the search judged its trials, by the mean return of its last 100 training episodes, and
also by --eval-episodes greedy episodes of its final policy on other seeds (`run.py --eval RUN --greedy`).
The table shows both per seed; the searched settings beat the defaults when their mean over the seeds is higher.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _common import eval_ours, run_ours_in

from master_agent.presets import GAME_KEY, read_settings_file
from rundir import read_config, read_episodes
from tuning.search import BEST_FILE, TRIALS_DIR, recorded_trials

FRESH_SEEDS = (100, 101, 102, 103, 104)  # a search's trials use seeds 0, 1, 2, ...: trials x --trial-seeds of them
EVAL_SEED_OFFSET = 10_000  # the greedy episodes play other games than training did
NO_TARGET = "1e9"  # a trial runs its whole time: so do these runs
WINDOW = 100  # the episodes a trial's value averages (the training window)


def study_settings(study_dir: Path) -> tuple[str, float, bool]:
    """(game, seconds per trial, whether the trials ran over the game's preset) of a study: the game from best.yaml,
    the rest from the study's storage (or, for a study made before it kept them, its trials' run directories)."""
    best = read_settings_file(study_dir / BEST_FILE)
    recorded = recorded_trials(study_dir)
    seconds = {read_config(run)["config"]["max_seconds"] for run in (study_dir / TRIALS_DIR).glob("*-*")}
    if "trial_seconds" in recorded:
        seconds = {recorded["trial_seconds"]}
    if len(seconds) != 1:
        raise SystemExit(f"error: {study_dir}: expected trials of one length, found {sorted(seconds)}")
    return best[GAME_KEY], seconds.pop(), recorded.get("preset", True)


def last_window_mean(run_dir: Path) -> float:
    returns = read_episodes(run_dir)["return"]
    return float(returns[-WINDOW:].mean())


def measure(flags: list[str], seed: int, eval_episodes: int, runs: Path) -> dict[str, float]:
    run, run_dir = run_ours_in([*flags, "--seed", str(seed), "--target-reward", NO_TARGET], runs)
    _, scores = eval_ours(run_dir, eval_episodes, EVAL_SEED_OFFSET + seed, best=False, greedy=True)
    return {
        "last100": last_window_mean(run_dir),
        "greedy": statistics.fmean(scores),
        "steps": run.state["global_step"],
        "run_dir": str(run_dir),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study_dir", type=Path, help="a run.py --tune study directory")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(FRESH_SEEDS), help="fresh seeds (100-104)")
    parser.add_argument("--eval-episodes", type=int, default=30, help="greedy episodes of each final policy")
    parser.add_argument("--runs-dir", type=Path, help="keep the run directories here (default: temporary)")
    parser.add_argument("--json", metavar="OUT", help="write every run's results here (rewritten after each)")
    args = parser.parse_args()

    game, seconds, preset = study_settings(args.study_dir)
    base = ["--max-seconds", str(seconds)] + ([] if preset else ["--no-preset"])
    sides = {"defaults": ["--game", game, *base], "searched": ["--config", str(args.study_dir / BEST_FILE), *base]}
    print(
        f"{game}: {len(args.seeds)} fresh seeds, {seconds:g} s a run, the search's {args.study_dir / BEST_FILE}"
        + ("" if preset else " (the study ran with --no-preset: so do both sides)")
    )
    results: dict[str, dict[int, dict]] = {side: {} for side in sides}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.runs_dir or Path(tmp)
        for seed in args.seeds:
            for side, flags in sides.items():
                runs = root / f"{side}-{seed}"
                runs.mkdir(parents=True)
                results[side][seed] = measure(flags, seed, args.eval_episodes, runs)
                r = results[side][seed]
                print(f"seed {seed} {side:9} last-100 mean {r['last100']:8.1f}   greedy {r['greedy']:8.1f}   "
                      f"{r['steps']:,} steps", flush=True)  # fmt: skip
                if args.json:
                    Path(args.json).write_text(json.dumps({"game": game, "seconds": seconds, "runs": results}))
    print(f"\n| seed | defaults: last-100 mean | searched | defaults: greedy ({args.eval_episodes}) | searched |")
    print("|---|---|---|---|---|")
    for seed in args.seeds:
        d, s = results["defaults"][seed], results["searched"][seed]
        print(f"| {seed} | {d['last100']:.1f} | {s['last100']:.1f} | {d['greedy']:.1f} | {s['greedy']:.1f} |")
    for key in ("last100", "greedy"):
        d = [results["defaults"][s][key] for s in args.seeds]
        s = [results["searched"][s][key] for s in args.seeds]
        wins = sum(b > a for a, b in zip(d, s))
        print(
            f"{key}: mean {statistics.fmean(d):.1f} (defaults) vs {statistics.fmean(s):.1f} (searched), median "
            f"{statistics.median(d):.1f} vs {statistics.median(s):.1f}, searched higher on {wins}/{len(d)} seeds"
        )


if __name__ == "__main__":
    sys.exit(main())
