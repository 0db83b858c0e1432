"""The claim behind presets/: with its preset, every game that has one reaches its target on at least 4 of 5 seeds.

    python bench/presets_check.py [--games G ...] [--seeds 5 | --seed-list S ...] [--budget [GAME=]SECONDS ...]
        [--eval-every [GAME=]STEPS ...] [--runs-dir DIR] [--json OUT]
    python bench/presets_check.py --merge A.json B.json ...   # one table from seeds run in separate sittings

Games: every presets/*.yaml (the file name is the game id with '/' written '-': ALE-SpaceInvaders-v5.yaml is
ALE/SpaceInvaders-v5), or those given with --games. Targets, default budgets (seconds of training per run) and
evaluation periods (env steps):
CartPole-v1 >= 475 (60 s, 200k), Acrobot-v1 >= -100 (180 s, 20k), LunarLander-v3 >= 200 (600 s, 25k),
Pendulum-v1 >= -200 (300 s, 20k), LunarLanderContinuous-v3 >= 200 (900 s, 50k), InvertedPendulum-v5 >= 1000, the
maximum (300 s, 10k), HalfCheetah-v5 >= 1300, its preset's claim (900 s, 50k), ALE/SpaceInvaders-v5 >= 375,
ALE/Pong-v5 >= -5 and ALE/Breakout-v5 >= 50, the figures their presets claim over 100 games (3900 s, 1800 s and
3600 s, 250k).
A game not in this table: its gymnasium reward_threshold (without one it is skipped, with a note), 600 s, and
run.py's evaluation period for its kind.

Per game, per seed s = 0 .. SEEDS-1, one run in its own process, as a user would type it (no --no-preset, so the
game's preset applies by itself; config.json's settings_from, kept in the JSON, shows it did):
    python run.py --game G --seed s --max-seconds BUDGET --eval-every E --eval-episodes K --target-on eval
        --target-reward T
(threaded A3C, run.py's default workers: one per core). Every E env steps run.py plays K greedy episodes (10, run.py's
default; 30 for the LunarLanders, 50 for Pendulum) with a snapshot of the weights and keeps the best-evaluated ones
in best/; training stops at the first evaluation whose mean reaches T, or at the budget. Then the best-evaluated
policy plays 100 greedy episodes on other seeds, in a process of its own:
    python run.py --eval RUN --best --greedy --episodes 100 --seed 10000+s
(the final policy where no evaluation finished). The seed reaches the target only when that mean is >= T.
Atari games are the exception, and the table says so: 100 evaluation games would take too long, so the training
process is the measurement. They train with --target-on train (the stop rule is then the measurement itself:
training stops when the mean of the last 100 training games reaches T), and a seed reaches the target when the
best 100-game training mean in episodes.csv is >= T. Evaluations still run every E steps (best/ is kept).

Clock: seconds of training from the start of training (imports, TensorFlow/XLA start-up, env and model
construction excluded), evaluation time included (the evaluator is a thread beside the workers); the budget is on
the same clock. Time and env steps to target: where run.py stopped as solved, those of the evaluation whose
confirmation held (run.py confirms an evaluation that reaches T on 100 fresh greedy episodes, their mean less three
standard errors, before it stops; one that falls short there does not stop it); otherwise the first row of eval.csv
whose mean reaches T (Atari: the first training game whose 100-game mean does; a seed confirmed without any
evaluation reaching T: the evaluation whose weights were confirmed). Medians over seeds count a seed that does
not reach the target as never (shown as "-" when that is the median). Env steps/s: env steps / seconds of
training over the whole run (the final checkpoint's counters). Wall (JSON only): launch of run.py to its exit.

An Atari game's five seeds take five hours or more, longer than one sitting: `--seed-list` runs some seeds, and
`--merge` tabulates the --json files of several sittings as one table, provided they measured the same trainer
(the fingerprint of run.py, the packages it imports and presets/, comments and docstrings aside, that each file
records) and no game's seed twice. The machine each file ran on is shown beside the table.

Needs gymnasium's box2d / mujoco extras for those games (requirements-control.txt) and ale-py for Atari.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from _common import check_mergeable, eval_ours, machine, run_ours_in, trainer_fingerprint

from envs.registry import ALE_ENTRY_POINT, GameError, game_id_of, has_tf_env
from master_agent.config import RunConfig, defaults_for, field_default
from master_agent.presets import PRESETS_DIR, find_preset, preset_path, read_settings_file
from master_agent.settings import SettingsError
from plots import moving_average
from rundir import BEST_CHECKPOINT_PATH, read_config, read_episodes, read_evals


@dataclass(frozen=True)
class Game:
    target: float  # the mean score that counts as reaching the game
    budget: float  # default seconds of training per run
    eval_every: int  # default env steps between evaluations during training
    # Greedy episodes per evaluation (run.py's default 10 where not given): enough that the first evaluation at the
    # target is not a lucky draw of start states, as 10 were on Pendulum (bench/control_vs_sb3.py).
    eval_episodes: int = 10


GAMES = {
    "CartPole-v1": Game(475.0, 60.0, 200_000),
    "Acrobot-v1": Game(-100.0, 180.0, 20_000),
    "LunarLander-v3": Game(200.0, 600.0, 25_000, 30),
    "Pendulum-v1": Game(-200.0, 300.0, 20_000, 50),
    "LunarLanderContinuous-v3": Game(200.0, 900.0, 50_000, 30),
    "InvertedPendulum-v5": Game(1000.0, 300.0, 10_000),
    "HalfCheetah-v5": Game(1300.0, 900.0, 50_000),  # its preset's claim (gymnasium's 4800 is beyond 15 min here)
    "ALE/SpaceInvaders-v5": Game(375.0, 3900.0, 250_000),  # the best 100-game mean its preset's comment reports
    "ALE/Pong-v5": Game(-5.0, 1800.0, 250_000),  # the 100-game mean its preset's comment claims within 30 minutes
    "ALE/Breakout-v5": Game(50.0, 3600.0, 250_000),  # likewise, within 60 minutes
}
DEFAULT_BUDGET = 600.0  # a game with a preset but no entry above
CONFIRM_EPISODES = 100
CONFIRM_SEED_OFFSET = 10_000  # the confirmation plays other games than training and its evaluations
WINDOW = int(field_default(RunConfig, "target_window"))  # run.py's training mean: the last 100 games
CLAIM_SEEDS, CLAIM_REACHED = 5, 4  # the claim: at least 4 of 5 seeds


def fail(message: str) -> NoReturn:
    """Bad flags: one line, exit 2 (the project's rule, as run.py does it)."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(message)


# --- which games, with what --------------------------------------------------------------------------------------


def registered_ids() -> list[str]:
    import gymnasium as gym

    try:
        import ale_py

        gym.register_envs(ale_py)
    except ImportError:  # no Atari: its presets name no registered game, and say so
        pass
    return list(gym.registry)


def preset_games() -> tuple[list[str], list[str]]:
    """(game ids of presets/*.yaml, notes on files that map back to no registered id), by inverting preset_path."""
    by_file: dict[str, list[str]] = {}
    for game_id in registered_ids():
        by_file.setdefault(preset_path(game_id).name, []).append(game_id)
    games, notes = [], []
    for path in sorted(PRESETS_DIR.glob("*.yaml")):
        ids = by_file.get(path.name, [])
        if len(ids) == 1:
            games.append(ids[0])
        else:
            what = f"the ids {', '.join(ids)}" if ids else "no registered game id"
            notes.append(f"presets/{path.name}: {what} (the file name is the id with '/' written '-'); skipped")
    return games, notes


def resolve(name: str) -> str:
    """A game with a preset, as its registered id (short Atari names and module:id as run.py takes them)."""
    try:
        game_id = game_id_of(name)
    except GameError as exc:
        fail(str(exc))
    if find_preset(game_id) is None:
        have, _ = preset_games()
        fail(f"'{name}' has no preset ({preset_path(game_id).relative_to(PRESETS_DIR.parent)}); games with one: "
             f"{', '.join(have) or 'none'}")  # fmt: skip
    return game_id


def is_atari(game_id: str) -> bool:
    import gymnasium as gym

    return game_id.startswith("ALE/") or gym.spec(game_id).entry_point == ALE_ENTRY_POINT


def game_settings(game_id: str) -> Game | None:
    """The table's entry; else the game's reward_threshold, the default budget and run.py's evaluation period for
    its kind (the same for classic and continuous control); None where the game has no target."""
    if game_id in GAMES:
        return GAMES[game_id]
    import gymnasium as gym

    threshold = gym.spec(game_id).reward_threshold
    if threshold is None:
        return None
    return Game(float(threshold), DEFAULT_BUDGET, defaults_for(is_atari(game_id), has_tf_env(game_id)).eval_every)


def per_game(values: list[str] | None, games: list[str], default: dict[str, float], kind: type, flag: str):
    """`--budget 600 Pendulum-v1=300`: a bare value for every game, GAME=VALUE for one (a game with a preset)."""
    out = dict(default)
    for item in values or []:
        name, _, text = item.rpartition("=")
        try:
            value = kind(float(text))
        except ValueError:
            fail(f"{flag}: '{item}' is not [GAME=]NUMBER")
        if not value > 0:
            fail(f"{flag}: '{item}': must be > 0")
        for g in [resolve(name)] if name else games:
            out[g] = value
    return out


# --- one run -----------------------------------------------------------------------------------------------------


def train_and_measure(game: str, seed: int, g: Game, budget: float, every: int, atari: bool, runs: Path):
    flags = ["--game", game, "--seed", str(seed), "--max-seconds", f"{budget:g}", "--eval-every", str(every),
             "--eval-episodes", str(g.eval_episodes), "--target-on", "train" if atari else "eval",
             "--target-reward", f"{g.target:g}"]  # fmt: skip
    run, run_dir = run_ours_in(flags, runs)
    ev = read_evals(run_dir)
    keys = ("global_step", "seconds", "mean", "min", "max")
    evaluations = [{k: float(ev[k][i]) for k in keys} for i in range(len(ev["mean"]))]
    saved = read_config(run_dir)
    r: dict[str, Any] = {
        "seed": seed,
        "command": ["run.py", *flags],
        "stop": run.reason,
        "steps": int(run.state["global_step"]),
        "seconds": float(run.state["seconds"]),
        "wall": run.wall,
        "rate": run.rate,
        "evaluations": evaluations,
        "settings_from": (saved.get("config") or {}).get("settings_from"),  # the preset's settings: "preset ..."
        "run_dir": str(run_dir),
    }
    if atari:
        ep = read_episodes(run_dir)
        avg = moving_average(ep["return"], WINDOW)[WINDOW - 1 :]  # full windows only, as the stop rule counts
        r["measure"] = f"best {WINDOW}-game training mean"
        r["mean"] = float(avg.max()) if len(avg) else None
        r["reached"] = r["mean"] is not None and r["mean"] >= g.target
        first = next((i + WINDOW - 1 for i, a in enumerate(avg) if a >= g.target), None)
        if first is not None:
            r["seconds_to_target"], r["steps_to_target"] = float(ep["seconds"][first]), int(ep["global_step"][first])
        return r
    best = (run_dir / BEST_CHECKPOINT_PATH).is_file()
    r["measure"] = f"{CONFIRM_EPISODES} greedy episodes, {'best-evaluated' if best else 'final (no evaluation)'} policy"
    r["confirm_seed"] = CONFIRM_SEED_OFFSET + seed
    try:
        r["confirm_wall"], r["confirm_scores"] = eval_ours(run_dir, CONFIRM_EPISODES, r["confirm_seed"], best=best)
    except RuntimeError as exc:  # training's numbers still stand; the seed does not count
        r["confirm_error"] = str(exc)
    scores = r.get("confirm_scores")
    r["mean"] = statistics.fmean(scores) if scores else None
    r["reached"] = r["mean"] is not None and r["mean"] >= g.target
    hit = next((e for e in evaluations if e["mean"] >= g.target), None)
    if run.solved:  # the stop rule's confirmed evaluation: the summary gives when its weights were taken
        hit = {"seconds": run.seconds, "global_step": run.steps}
    if hit is None and r["reached"]:  # confirmed, though no evaluation reached T: when its weights were taken
        hit = max(evaluations, key=lambda e: e["mean"]) if best and evaluations else None
        hit = hit or {"seconds": r["seconds"], "global_step": r["steps"]}
    if hit is not None:
        r["seconds_to_target"], r["steps_to_target"] = hit["seconds"], int(hit["global_step"])
    return r


# --- results -------------------------------------------------------------------------------------------------------


def fmt(v: float | None, spec: str = ",.0f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isinf(v)) else format(v, spec)


def median_to_target(rs: list[dict[str, Any]], key: str) -> float | None:
    """Median over all seeds, a seed that did not reach the target (or failed) counting as infinite; None when
    that median is infinite."""
    if not rs:
        return None
    m = statistics.median(r[key] if r.get("reached") and r.get(key) is not None else math.inf for r in rs)
    return None if math.isinf(m) else m


def summarize(rs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rs if "error" not in r]
    return {
        "runs": len(rs),
        "errors": len(rs) - len(ok),
        "reached": sum(bool(r.get("reached")) for r in rs),
        "median_seconds_to_target": median_to_target(rs, "seconds_to_target"),
        "median_steps_to_target": median_to_target(rs, "steps_to_target"),
        "median_rate": statistics.median(r["rate"] for r in ok) if ok else None,
        "means": [r.get("mean") for r in rs],
    }


def seed_cell(r: dict[str, Any]) -> str:
    if "error" in r:
        return "error"
    if "confirm_error" in r:
        return "eval failed"
    return fmt(r["mean"], ".1f") + ("" if r["reached"] else " ✗")


def show(game: str, r: dict[str, Any]) -> None:
    if "error" in r:
        print(f"{game:<25} {r['seed']:>4}  error: {r['error'].strip().splitlines()[-1]}", flush=True)
        return
    print(
        f"{game:<25} {r['seed']:>4}  {'yes' if r['reached'] else 'no':>7}  {fmt(r.get('seconds_to_target'), '.1f'):>8}"
        f"  {fmt(r.get('steps_to_target')):>11}  {r['seconds']:>7.1f}  {r['wall']:>7.1f}  {r['rate']:>8,.0f}  "
        f"{fmt(r['mean'], '.1f'):>8}  {r['stop']}"
        + (f"; confirmation failed: {r['confirm_error'].strip().splitlines()[-1]}" if "confirm_error" in r else ""),
        flush=True,
    )


def table(results: dict[str, Any]) -> str:
    head = ("| game | target | budget s | measured by | seeds reaching target | median s to target "
            "| median env steps to target | median env steps/s | per-seed means |")  # fmt: skip
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for game, res in results.items():
        if "summary" not in res:
            continue
        s = res["summary"]
        lines.append(
            f"| {game} | {res['target']:g} | {res['budget']:g} | {res['measured_by']} | {s['reached']}/{s['runs']} "
            f"| {fmt(s['median_seconds_to_target'], '.1f')} | {fmt(s['median_steps_to_target'])} "
            f"| {fmt(s['median_rate'])} | {', '.join(seed_cell(r) for r in res['runs'])} |"
        )
    return "\n".join(lines)


def verdict(results: dict[str, Any]) -> str:
    """Whether the claim holds: every game reaches its target on at least 4 of seeds 0-4."""
    claim_seeds = list(range(CLAIM_SEEDS))
    if not results or any(sorted(r["seed"] for r in res["runs"]) != claim_seeds for res in results.values()):
        return f"(the claim, >= {CLAIM_REACHED} of {CLAIM_SEEDS} seeds a game, is judged on seeds 0-{CLAIM_SEEDS - 1})"
    short = [game for game, res in results.items() if res["summary"]["reached"] < CLAIM_REACHED]
    held = "holds" if not short else f"does not hold: {', '.join(short)}"
    return f"claim (each game reaches its target on >= {CLAIM_REACHED} of {CLAIM_SEEDS} seeds): {held}"


def merge(paths: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The games of several --json files, each game's seeds pooled in seed order and summarized; and the machines
    they ran on."""
    parts = {}
    for path in paths:
        try:
            with open(path) as f:
                parts[path] = json.load(f)
        except (OSError, json.JSONDecodeError) as exc:
            fail(f"--merge: cannot read {path}: {exc}")
    check_mergeable(parts)
    results: dict[str, Any] = {}
    for data in parts.values():
        for game, res in data["games"].items():
            pooled = results.setdefault(game, {**res, "runs": []})
            pooled["runs"] = sorted(pooled["runs"] + res["runs"], key=lambda r: r["seed"])
    for res in results.values():
        res["summary"] = summarize(res["runs"])
    return results, sorted({d["settings"].get("machine", "not recorded") for d in parts.values()})


def report(results: dict[str, Any]) -> None:
    print(table(results))
    print(f"\nmedians over seeds; a seed that does not reach the target counts as never ('-' where that is the "
          f"median); ✗: below the target. Atari rows count the best {WINDOW}-game training mean, not a "
          f"{CONFIRM_EPISODES}-episode evaluation.")  # fmt: skip
    print(verdict(results))


def main() -> int:
    parser = OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", nargs="+", metavar="GAME", help="games with a preset (default: every preset)")
    parser.add_argument("--seeds", type=int, default=CLAIM_SEEDS, help="seeds 0 .. N-1 per game (default: 5)")
    parser.add_argument(
        "--seed-list",
        type=int,
        nargs="+",
        metavar="S",
        help="these seeds instead of 0 .. N-1, for a game too long for one sitting (see --merge)",
    )
    parser.add_argument(
        "--merge", nargs="+", metavar="JSON", help="print one table of the runs in these --json files and run nothing"
    )
    parser.add_argument("--budget", nargs="+", metavar="[GAME=]SECONDS",
                        help="seconds of training per run, for every game or GAME=SECONDS for one "
                             f"(defaults: see above; {DEFAULT_BUDGET:g} for a game not listed)")  # fmt: skip
    parser.add_argument("--eval-every", nargs="+", metavar="[GAME=]STEPS",
                        help="env steps between evaluations during training (defaults: see above)")  # fmt: skip
    parser.add_argument("--runs-dir", help="keep the run directories here (default: temporary, deleted)")
    parser.add_argument("--json", metavar="OUT", help="write every run's raw results here (rewritten after each)")
    args = parser.parse_args()

    if args.merge:
        results, machines = merge(args.merge)
        print(f"{len(args.merge)} files; measured on: {'; '.join(machines)}\n")
        report(results)
        return 0
    if args.seeds < 1:
        fail(f"--seeds: must be at least 1, got {args.seeds}")
    seeds = list(dict.fromkeys(args.seed_list)) if args.seed_list else list(range(args.seeds))
    if any(seed < 0 for seed in seeds):
        fail(f"--seed-list: seeds are >= 0, got {seeds}")
    if args.games:
        games, notes = list(dict.fromkeys(resolve(name) for name in args.games)), []
    else:
        games, notes = preset_games()
    for note in notes:
        print(f"note: {note}")
    chosen: dict[str, Game] = {}
    for game in games:
        g = game_settings(game)
        if g is None:
            print(f"note: {game} has a preset but no target (no entry here, no reward_threshold in gymnasium); skipped")
        else:
            chosen[game] = g
    budgets = per_game(args.budget, list(chosen), {k: g.budget for k, g in chosen.items()}, float, "--budget")
    periods = per_game(args.eval_every, list(chosen), {k: g.eval_every for k, g in chosen.items()}, int,
                       "--eval-every")  # fmt: skip

    results: dict[str, Any] = {}
    settings = {
        "games": list(chosen),
        "seeds": seeds,
        "trainer": trainer_fingerprint(),
        "machine": machine(),
        "confirm": f"run.py --eval RUN --best --greedy --episodes {CONFIRM_EPISODES} --seed {CONFIRM_SEED_OFFSET}+seed",
        "atari": f"best {WINDOW}-game training mean (episodes.csv), --target-on train; no confirmation",
        "clock": "seconds of training, evaluation time included",
    }

    def dump() -> None:
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"settings": settings, "games": results}, f, indent=2)

    print(f"seeds {', '.join(map(str, seeds))} per game; a seed reaches the target when {CONFIRM_EPISODES} greedy "
          f"episodes of its best-evaluated policy (seeds {CONFIRM_SEED_OFFSET}+) average >= the target; Atari: when "
          f"its best {WINDOW}-game training mean does; clock: training seconds, evaluation included")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.runs_dir) / time.strftime("presets_check-%Y%m%d-%H%M%S") if args.runs_dir else Path(tmp)
        for game, g in chosen.items():
            budget, every, atari = budgets[game], periods[game], is_atari(game)
            preset = find_preset(game)
            try:
                preset_settings = read_settings_file(preset, allow_game=False)
            except SettingsError as exc:  # run.py will refuse it too; say so here
                preset_settings = {"unreadable": str(exc)}
            measured_by = (f"best {WINDOW}-game training mean (Atari: training is the measurement)" if atari
                           else f"{CONFIRM_EPISODES} greedy episodes, best policy")  # fmt: skip
            print(f"\n{game}: target {g.target:g}, budget {budget:g} s, evaluation every {every:,} steps; preset "
                  f"{preset.relative_to(PRESETS_DIR.parent)}: {preset_settings}; measured by {measured_by}",
                  flush=True)  # fmt: skip
            print(f"{'game':<25} {'seed':>4}  {'reached':>7}  {'to tgt s':>8}  {'to tgt steps':>11}  {'train s':>7}  "
                  f"{'wall s':>7}  {'steps/s':>8}  {'mean':>8}  stop")  # fmt: skip
            res = results[game] = {"target": g.target, "budget": budget, "eval_every": every, "atari": atari,
                                   "measured_by": measured_by, "preset": preset_settings, "runs": []}  # fmt: skip
            for seed in seeds:
                folder = base / preset.stem / f"seed{seed}"
                folder.mkdir(parents=True, exist_ok=False)
                try:
                    r = train_and_measure(game, seed, g, budget, every, atari, folder)
                except Exception as exc:  # one failed run is reported, and counts as not reaching; the rest run on
                    r = {"seed": seed, "reached": False, "error": f"{type(exc).__name__}: {exc}"}
                res["runs"].append(r)
                show(game, r)
                dump()
            res["summary"] = summarize(res["runs"])
            dump()

    print()
    report(results)
    if args.json:
        print(f"raw results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
