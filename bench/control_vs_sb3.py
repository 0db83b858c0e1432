"""Learning benchmark of issue 13: time to a target on control games, ours beside SB3 A2C with rl-zoo's settings.

    python bench/control_vs_sb3.py [--games G ...] [--seeds 3] [--budget SECONDS | GAME=SECONDS ...]
        [--eval-every STEPS | GAME=STEPS ...] [--eval-episodes K | GAME=K ...] [--confirm-episodes 100]
        [--sb3-timesteps-scale 1] [--torch-threads N] [--runs-dir DIR] [--json OUT] [--quick] [--seed-list S ...]
    python bench/control_vs_sb3.py --merge A.json B.json ...   # one table from runs made in separate sittings

Games, targets and default budgets (training seconds per run) / evaluation periods (env steps) / episodes per
evaluation: LunarLander-v3 >= 200 (600 s, 25k, 30), LunarLanderContinuous-v3 >= 200 (1200 s, 50k, 30), Pendulum-v1
>= -200 (900 s, 50k, 50), InvertedPendulum-v5 >= 1000, the maximum (600 s, 10k, 10), HalfCheetah-v5: no target,
the evaluation mean after its budget (1800 s, 50k, 10).

Per game, per seed s = 0 .. SEEDS-1, ours then SB3 (so that a drifting machine load hits both alike), each run
in its own process, both under the same protocol:
- every --eval-every env steps, a greedy evaluation of --eval-episodes episodes; an evaluation whose mean reaches
  the target is confirmed: its weights play 100 fresh greedy episodes, and training stops only when their mean less
  three standard errors holds the target (run.py's stop rule; for SB3, a callback of this script does the same);
  otherwise at the budget;
- the best-evaluated policy is then played for --confirm-episodes (100) greedy episodes in a process of its own
  (seed 10000 + s); a seed counts as solved only when that mean reaches the target too.
Ours: `run.py --game G --seed s --max-seconds BUDGET --eval-every N --eval-episodes K --target-on eval
--target-reward T` (threaded A3C, run.py's default workers: one per core), then `run.py --eval RUN --best --greedy
--episodes 100`; the time and steps to target are those of the evaluation whose confirmation stopped the run (run.py
plays 100 fresh greedy episodes with an evaluation's weights when it reaches T, and stops only if their mean less three
standard errors holds T), or, where none did, of the first row of eval.csv whose mean reaches T. SB3 likewise:
ConfirmThenStop plays the evaluated weights for 100 fresh episodes of the evaluation env and stops training when
they hold T, saving those weights (and their VecNormalize statistics) as the best model; before it, SB3 stopped at
its first evaluation at T, held or not, and a seed whose 100 episodes then fell short counted as unsolved with the
rest of its budget unused.
SB3: A2C set up by rl_zoo3's own ExperimentManager from the installed rl_zoo3/hyperparams/a2c.yml (the zoo's
schedules, `normalize` -> VecNormalize, n_envs, policy_kwargs, use_sde, use_rms_prop, ...; a game without an entry
gets the closest one, printed), device cpu, 1 torch thread (--torch-threads); an EvalCallback on an evaluation
env made the zoo's way (VecNormalize statistics synced from training and frozen; reward not normalized),
deterministic actions, ConfirmThenStop (above), the best model and its VecNormalize statistics saved as the
zoo saves them; the 100-episode confirmation loads them as the zoo's enjoy.py does (create_test_env).
model.learn gets the zoo's n_timesteps (times --sb3-timesteps-scale), over which its linear schedules decay, so
SB3 also stops there, often well before the budget.

Clock, the same for both: seconds of training from the start of training (imports, TensorFlow/XLA start-up,
env and model construction excluded), evaluation time included. Ours evaluates in a thread beside the workers
(the evaluation competes with them for the cores); SB3's EvalCallback pauses training while it plays, and that
pause counts. Time to target is the clock when the weights that reached the target were taken (SB3: at the start
of that evaluation); the budget is on the same clock. The JSON also has SB3's seconds without its evaluations.
Wall: launch of the training process to its exit (start-up, the final evaluation and saving included).
Env steps/s: env steps / seconds of training over the whole run (ours: from the final checkpoint's counters).
Medians over seeds count an unsolved seed as never reaching the target (shown as "-" when that is the median).

Needs bench/requirements.txt plus rl_zoo3 (and gymnasium's box2d / mujoco extras for these games).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import check_mergeable, eval_ours, machine, run_ours_in, run_worker, torch_threads, trainer_fingerprint

from master_agent.config import RunConfig, field_default


@dataclass(frozen=True)
class Game:
    target: float | None  # None: no target, report the evaluation mean after the budget
    budget: float  # default seconds of training per run
    eval_every: int  # default env steps between evaluations during training
    # Greedy episodes per evaluation: enough that the first evaluation at the target is not a lucky draw of start
    # states (Pendulum's vary most: with 10, both sides stopped at -200 and then played -240 to -670 over 100).
    # Pendulum's 50 every 50k steps: every 10k, they took a third of our steps/s (15.5k against 24k) and, as SB3's
    # evaluations pause its training, more of SB3's clock.
    eval_episodes: int


GAMES = {
    "LunarLander-v3": Game(200.0, 600.0, 25_000, 30),
    "LunarLanderContinuous-v3": Game(200.0, 1200.0, 50_000, 30),
    "Pendulum-v1": Game(-200.0, 900.0, 50_000, 50),
    "InvertedPendulum-v5": Game(1000.0, 600.0, 10_000, 10),
    "HalfCheetah-v5": Game(None, 1800.0, 50_000, 10),
}
QUICK_BUDGET = 60.0
QUICK_CONFIRM = 10
TRAINING_CONFIRM_EPISODES = field_default(RunConfig, "target_window")  # run.py's confirmation, SB3's stop rule's too
# How SB3 stops at the target (a --json file records it; --merge refuses to pool files that differ): the files made
# before this script gave SB3 run.py's confirmation record none.
SB3_STOP_RULE = "confirmed"
SB3_STOP_RULE_BEFORE = "first evaluation at the target"
CONFIRM_SEED_OFFSET = 10_000  # the confirmation plays other games than training and its evaluations
NO_TARGET = "1e9"  # ours without a target: never reached
MUJOCO_FALLBACK = "HalfCheetah-v4"  # the zoo's MuJoCo entry (`&mujoco-defaults`) that its other -v4 games share


# --- rl-zoo's hyperparameters --------------------------------------------------------------------------------


def zoo_config() -> Path:
    """The installed rl_zoo3's a2c.yml, found without importing rl_zoo3 (which starts TensorFlow)."""
    spec = importlib.util.find_spec("rl_zoo3")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("rl_zoo3 is not installed (pip install rl_zoo3)")
    return Path(next(iter(spec.submodule_search_locations))) / "hyperparams" / "a2c.yml"


def zoo_entry(game: str) -> tuple[str, dict[str, Any]]:
    """(name, hyperparameters) of the a2c.yml entry for `game`: its own, else the same game's older version
    (HalfCheetah-v5 -> HalfCheetah-v4), else for a MuJoCo game the zoo's MuJoCo entry, else `default`."""
    import gymnasium as gym
    import yaml

    with zoo_config().open() as f:
        table = yaml.safe_load(f)
    name, _, _ = game.rpartition("-v")
    candidates = [game, f"{name}-v4"]
    if "mujoco" in str(gym.spec(game).entry_point):
        candidates.append(MUJOCO_FALLBACK)
    for key in [*candidates, "default"]:
        if key in table:
            return key, dict(table[key])
    raise SystemExit(f"{zoo_config()} has neither an entry for {game} nor a default")


# --- SB3 worker processes --------------------------------------------------------------------------------------


def sb3_train(
    game: str, seed: int, folder: str, budget: float, eval_every: int, eval_episodes: int, target: float | None,
    scale: float, threads: int | None,
) -> dict[str, Any]:  # fmt: skip
    """One SB3 A2C run set up by rl_zoo3's ExperimentManager; returns what the parent reports."""
    n_threads = torch_threads(threads or None)
    with contextlib.redirect_stdout(sys.stderr):  # the zoo prints its settings; stdout carries the result
        from rl_zoo3.callbacks import SaveVecNormalizeCallback
        from rl_zoo3.exp_manager import ExperimentManager
        from stable_baselines3.common.callbacks import BaseCallback, EvalCallback
        from stable_baselines3.common.evaluation import evaluate_policy

        from master_agent.episodes import confirmation_bound

        class ConfirmThenStop(BaseCallback):
            """run.py's stop rule, after each evaluation: one at the target stops training only when its weights hold
            the target over TRAINING_CONFIRM_EPISODES fresh greedy episodes, their mean less three standard errors.
            Those weights become the best model, so the benchmark's final 100 episodes play what stopped the run, as
            ours do."""

            def __init__(self) -> None:
                super().__init__()
                self.confirmations: list[dict[str, float]] = []

            def _on_step(self) -> bool:
                evaluation = self.parent
                if target is None or evaluation.last_mean_reward < target:
                    return True
                scores, _ = evaluate_policy(self.model, evaluation.eval_env, n_eval_episodes=TRAINING_CONFIRM_EPISODES,
                                            deterministic=evaluation.deterministic,
                                            return_episode_rewards=True)  # fmt: skip
                bound = confirmation_bound(scores)
                self.confirmations.append({"global_step": self.num_timesteps, "mean": float(statistics.fmean(scores)),
                                           "bound": float(bound)})  # fmt: skip
                if bound < target:
                    return True
                self.model.save(str(Path(manager.save_path) / "best_model"))
                if self.model.get_vec_normalize_env() is not None:
                    self.model.get_vec_normalize_env().save(str(Path(manager.params_path) / "vecnormalize.pkl"))
                return False

        class TimedEval(EvalCallback):
            """EvalCallback that keeps the clock: stops at the budget and notes each evaluation's time."""

            def _on_training_start(self) -> None:
                super()._on_training_start()
                self.start = time.perf_counter()
                self.eval_seconds = 0.0
                self.rows: list[dict[str, float]] = []
                self.out_of_time = False

            def _on_step(self) -> bool:
                now = time.perf_counter()
                if now - self.start >= budget:
                    self.out_of_time = True
                    return False
                if not (self.eval_freq > 0 and self.n_calls % self.eval_freq == 0):
                    return super()._on_step()
                keep_going = super()._on_step()
                scores = self.evaluations_results[-1]
                self.rows.append(
                    {
                        "global_step": self.num_timesteps,
                        "seconds": now - self.start,
                        "seconds_without_eval": now - self.start - self.eval_seconds,
                        "mean": float(sum(scores) / len(scores)),
                        "min": float(min(scores)),
                        "max": float(max(scores)),
                    }
                )
                self.eval_seconds += time.perf_counter() - now
                return keep_going

        entry_name, entry = zoo_entry(game)
        args = argparse.Namespace(algo="a2c", env=game, seed=seed, zoo_entry=entry_name)
        manager = ExperimentManager(
            args,
            "a2c",
            game,
            log_folder=folder,
            n_timesteps=max(1, round(float(entry["n_timesteps"]) * scale)),
            eval_freq=0,  # the zoo's own EvalCallback off: TimedEval below is that callback plus the stop rule
            save_freq=-1,
            hyperparams=entry,
            seed=seed,
            log_interval=-1,
            verbose=0,
            device="cpu",
        )
        model, _ = manager.setup_experiment()
        # What the zoo's create_callbacks builds, plus the confirmed stop on the target and the clock.
        stop_rule = ConfirmThenStop()
        evaluation = TimedEval(
            manager.create_envs(manager.n_eval_envs, eval_env=True),
            callback_on_new_best=SaveVecNormalizeCallback(save_freq=1, save_path=manager.params_path),
            callback_after_eval=stop_rule,
            best_model_save_path=manager.save_path,
            n_eval_episodes=eval_episodes,
            log_path=manager.save_path,
            eval_freq=max(eval_every // manager.n_envs, 1),
            deterministic=manager.deterministic_eval,
        )
        manager.callbacks.append(evaluation)
        manager.learn(model)
        end = time.perf_counter()
        seconds = end - evaluation.start
        if not evaluation.rows:  # no evaluation finished: the confirmation plays the final policy
            manager.save_trained_model(model)
    # A confirmation that held stopped training at once, so its evaluation is the last row.
    held = bool(stop_rule.confirmations) and stop_rule.confirmations[-1]["bound"] >= target
    return {
        "stop": "solved" if held else "max seconds" if evaluation.out_of_time else "n_timesteps",
        "confirmations": stop_rule.confirmations,
        **({"solved_at": {k: evaluation.rows[-1][k] for k in ("seconds", "global_step")}} if held else {}),
        "steps": int(model.num_timesteps),
        "seconds": seconds,
        "eval_seconds": evaluation.eval_seconds,
        "evaluations": evaluation.rows,
        "n_envs": manager.n_envs,
        "n_timesteps": manager.n_timesteps,
        "params_path": manager.params_path,
        "model": str(Path(manager.save_path) / ("best_model.zip" if evaluation.rows else f"{game}.zip")),
        "torch_threads": n_threads,
    }


def sb3_confirm(game: str, model_path: str, params_path: str, episodes: int, seed: int) -> dict[str, Any]:
    """Play the saved model as rl_zoo3's enjoy.py does (its saved config, frozen VecNormalize statistics),
    deterministic actions: the episodes' scores."""
    with contextlib.redirect_stdout(sys.stderr):
        from rl_zoo3.utils import create_test_env, get_saved_hyperparams
        from stable_baselines3 import A2C
        from stable_baselines3.common.evaluation import evaluate_policy

        hyperparams, stats_path = get_saved_hyperparams(params_path, test_mode=True)
        env = create_test_env(game, n_envs=1, stats_path=stats_path, seed=seed, should_render=False,
                              hyperparams=hyperparams)  # fmt: skip
        model = A2C.load(model_path, device="cpu")
        scores, _ = evaluate_policy(model, env, n_eval_episodes=episodes, deterministic=True,
                                    return_episode_rewards=True)  # fmt: skip
        env.close()
    return {"scores": [float(s) for s in scores]}


# --- the parent: runs, results, tables ------------------------------------------------------------------------


def per_game(values: list[str] | None, games: list[str], default: dict[str, float], kind: type) -> dict[str, Any]:
    """`--budget 600 HalfCheetah-v5=3600`: a bare value for every game, GAME=VALUE for one."""
    out = dict(default)
    for item in values or []:
        name, _, value = item.rpartition("=")
        if name and name not in GAMES:
            raise SystemExit(f"unknown game in '{item}'")
        for g in [name] if name else games:
            out[g] = kind(float(value))
    return out


def first_reach(evals: list[dict[str, float]], target: float | None) -> dict[str, float] | None:
    return next((r for r in evals if target is not None and r["mean"] >= target), None)


def finish(r: dict[str, Any], target: float | None) -> None:
    """Fill in the derived fields of a run's record."""
    hit = first_reach(r["evaluations"], target)
    r["reached"] = hit is not None
    hit = r.get("solved_at") or hit  # ours: the evaluation whose confirmation stopped the run
    r["seconds_to_target"] = hit["seconds"] if hit else None
    r["steps_to_target"] = int(hit["global_step"]) if hit else None
    scores = r.get("confirm_scores")
    r["confirm_mean"] = statistics.fmean(scores) if scores else None
    r["solved"] = None if target is None else bool(hit and scores and r["confirm_mean"] >= target)


def run_ours_side(game: str, seed: int, g: Game, budget: float, every: int, args, runs: Path) -> dict[str, Any]:
    from rundir import BEST_CHECKPOINT_PATH, read_config, read_evals

    flags = ["--game", game, "--seed", str(seed), "--max-seconds", f"{budget:g}", "--eval-every", str(every),
             "--eval-episodes", str(args.eval_episodes[game]), "--target-on", "eval",
             "--target-reward", NO_TARGET if g.target is None else f"{g.target:g}"]  # fmt: skip
    run, run_dir = run_ours_in(flags, runs)
    ev = read_evals(run_dir)
    keys = ("global_step", "seconds", "mean", "min", "max")
    rows = [{k: float(ev[k][i]) for k in keys} for i in range(len(ev["mean"]))]
    best = (run_dir / BEST_CHECKPOINT_PATH).is_file()
    r = {
        "seed": seed,
        "stop": run.reason,
        "steps": int(run.state["global_step"]),
        "seconds": float(run.state["seconds"]),
        "wall": run.wall,
        "rate": run.rate,
        "evaluations": rows,
        "confirmed": "best" if best else "final",
        "config": read_config(run_dir).get("config"),  # the run's settings: workers, envs per worker, lr, ...
        "run_dir": str(run_dir),
    }
    if run.solved:  # run.py confirms an evaluation at T on 100 fresh episodes before it stops: when that was
        r["solved_at"] = {"seconds": run.seconds, "global_step": run.steps}
    try:
        r["confirm_wall"], r["confirm_scores"] = eval_ours(
            run_dir, args.confirm_episodes, CONFIRM_SEED_OFFSET + seed, best=best
        )
    except RuntimeError as exc:  # training's numbers still stand
        r["confirm_error"] = str(exc)
    return r


def run_sb3_side(game: str, seed: int, g: Game, budget: float, every: int, args, folder: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--sb3-train", game, str(seed), str(folder), "--budget", f"{budget:g}",
           "--eval-every", str(every), "--eval-episodes", str(args.eval_episodes[game]),
           "--sb3-timesteps-scale", str(args.sb3_timesteps_scale)]  # fmt: skip
    if g.target is not None:
        cmd += ["--target", f"{g.target:g}"]
    cmd += ["--torch-threads", str(args.torch_threads)]
    wall, r = run_worker(cmd)
    r.update(seed=seed, wall=wall, rate=r["steps"] / r["seconds"], confirmed="best" if r["evaluations"] else "final")
    cmd = [sys.executable, __file__, "--sb3-confirm", game, r["model"], r["params_path"],
           str(args.confirm_episodes), str(CONFIRM_SEED_OFFSET + seed)]  # fmt: skip
    try:
        r["confirm_wall"], c = run_worker(cmd)
        r["confirm_scores"] = c["scores"]
    except RuntimeError as exc:  # training's numbers still stand
        r["confirm_error"] = str(exc)
    return r


def fmt(v: float | None, spec: str = ",.0f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isinf(v)) else format(v, spec)


def show(game: str, side: str, r: dict[str, Any]) -> None:
    if "error" in r:
        print(f"{game:<25} {r['seed']:>4}  {side:<5} error: {r['error'].strip().splitlines()[-1]}", flush=True)
        return
    solved = {None: "n/a", True: "yes", False: "no"}[r["solved"]]
    print(
        f"{game:<25} {r['seed']:>4}  {side:<5} {solved:>6}  {fmt(r['seconds_to_target'], '.1f'):>8}  "
        f"{fmt(r['steps_to_target']):>10}  {r['seconds']:>7.1f}  {r['wall']:>7.1f}  {r['rate']:>8,.0f}  "
        f"{fmt(r['confirm_mean'], '.1f'):>8}  {r['stop']}"
        + (f"; confirmation failed: {r['confirm_error'].strip().splitlines()[-1]}" if "confirm_error" in r else ""),
        flush=True,
    )


def median_to_target(rs: list[dict[str, Any]], key: str) -> float | None:
    """Median over all seeds, an unsolved seed counting as infinite; None when that median is infinite."""
    if not rs:
        return None
    m = statistics.median(r[key] if r["solved"] else math.inf for r in rs)
    return None if math.isinf(m) else m


def summarize(rs: list[dict[str, Any]], target: float | None) -> dict[str, Any]:
    ok = [r for r in rs if "error" not in r]
    means = [r["confirm_mean"] for r in ok if r["confirm_mean"] is not None]
    med = lambda k: statistics.median(r[k] for r in ok) if ok else None  # noqa: E731
    return {
        "runs": len(rs),
        "errors": len(rs) - len(ok),
        "solved": None if target is None else sum(bool(r["solved"]) for r in ok),
        "reached_in_training": None if target is None else sum(r["reached"] for r in ok),
        "median_seconds_to_target": median_to_target(ok, "seconds_to_target") if target is not None else None,
        "median_steps_to_target": median_to_target(ok, "steps_to_target") if target is not None else None,
        "median_wall": med("wall"),
        "median_rate": med("rate"),
        "median_confirm_mean": statistics.median(means) if means else None,
        "confirm_means": means,
    }


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def solved_cell(x: dict[str, Any]) -> str:
    """'2/3', or '1/3 (+1 unconfirmed)' where a training evaluation reached the target and the final one did not."""
    if x["solved"] is None:
        return "n/a"
    unconfirmed = x["reached_in_training"] - x["solved"]
    return f"{x['solved']}/{x['runs']}" + (f" (+{unconfirmed} unconfirmed)" if unconfirmed else "")


def table(results: dict[str, Any], confirm_episodes: int) -> str:
    head = ("| game | target | SB3 zoo entry | solved ours | solved SB3 | s to target ours | SB3 | ours/SB3 "
            "| env steps to target ours | SB3 | env steps/s ours | SB3 | wall s ours | SB3 "
            f"| {confirm_episodes}-ep eval ours | SB3 |")  # fmt: skip
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for game, res in results.items():
        o, s = res["summary"]["ours"], res["summary"]["sb3"]
        lines.append(
            f"| {game} | {fmt(res['target'], 'g')} | {res['zoo_entry']} | {solved_cell(o)} | {solved_cell(s)} "
            f"| {fmt(o['median_seconds_to_target'], '.0f')} | {fmt(s['median_seconds_to_target'], '.0f')} "
            f"| {ratio(o['median_seconds_to_target'], s['median_seconds_to_target'])} "
            f"| {fmt(o['median_steps_to_target'])} | {fmt(s['median_steps_to_target'])} "
            f"| {fmt(o['median_rate'])} | {fmt(s['median_rate'])} | {fmt(o['median_wall'], '.0f')} "
            f"| {fmt(s['median_wall'], '.0f')} | {fmt(o['median_confirm_mean'], '.1f')} "
            f"| {fmt(s['median_confirm_mean'], '.1f')} |"
        )
    return "\n".join(lines)


def merge(paths: list[str]) -> tuple[dict[str, Any], int]:
    """The games of several --json files, each game's runs pooled and summarized; and the confirmation's episodes
    (the files must agree on it, measure the same trainer and not repeat a game's seed: `check_mergeable`)."""
    parts = {}
    for path in paths:
        with open(path) as f:
            parts[path] = json.load(f)
    check_mergeable(parts)
    rules = {path: data["settings"].get("sb3_stop_rule", SB3_STOP_RULE_BEFORE) for path, data in parts.items()}
    if len(set(rules.values())) != 1:
        listed = ", ".join(f"{path}: {rule}" for path, rule in rules.items())
        raise SystemExit(f"error: the files stopped SB3 by different rules ({listed})")
    results: dict[str, Any] = {}
    confirm: set[int] = set()
    for data in parts.values():
        confirm.add(data["settings"]["confirm_episodes"])
        for game, res in data["games"].items():
            pooled = results.setdefault(game, {**res, "runs": {"ours": [], "sb3": []}})
            for side in ("ours", "sb3"):
                pooled["runs"][side] += res["runs"][side]
    for res in results.values():
        res["summary"] = {side: summarize(rs, res["target"]) for side, rs in res["runs"].items()}
    if len(confirm) != 1:
        raise SystemExit(f"the files confirmed with different numbers of episodes: {sorted(confirm)}")
    return results, confirm.pop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", nargs="+", choices=list(GAMES), default=list(GAMES), metavar="GAME")
    parser.add_argument("--seeds", type=int, help="seeds 0 .. N-1 per game and side (default: 3; --quick: 1)")
    parser.add_argument("--seed-list", type=int, nargs="+", metavar="S",
                        help="these seeds instead of 0 .. N-1: a long game's seeds can run in separate sittings "
                             "(each seed still runs ours then SB3) and --merge tabulates them together")  # fmt: skip
    parser.add_argument("--merge", nargs="+", metavar="JSON",
                        help="print the table of the runs in these --json files (the same game's seeds pooled) "
                             "and run nothing")  # fmt: skip
    parser.add_argument("--budget", nargs="+", metavar="[GAME=]SECONDS",
                        help="seconds of training per run, for every game or GAME=SECONDS for one "
                             "(defaults: see above; HalfCheetah-v5 1800)")  # fmt: skip
    parser.add_argument(
        "--eval-every",
        nargs="+",
        metavar="[GAME=]STEPS",
        help="env steps between evaluations during training, both sides (defaults: see above)",
    )
    parser.add_argument("--eval-episodes", nargs="+", metavar="[GAME=]K",
                        help="greedy episodes per evaluation, both sides (defaults: see above)")  # fmt: skip
    parser.add_argument("--confirm-episodes", type=int,
                        help="episodes of the final evaluation of the saved policy (default: 100; --quick: "
                             f"{QUICK_CONFIRM})")  # fmt: skip
    parser.add_argument(
        "--sb3-timesteps-scale",
        type=float,
        default=1.0,
        help="SB3 learns for the zoo's n_timesteps times this (its linear schedules span it)",
    )
    parser.add_argument("--torch-threads", type=int, default=1,
                        help="torch.set_num_threads for SB3; 0: torch's own, one per core (default: 1, measured "
                             "about 5x faster than 2 for the zoo's small MLPs on this 2-core machine)")  # fmt: skip
    parser.add_argument("--runs-dir", help="keep the run directories here (default: temporary, deleted)")
    parser.add_argument("--json", metavar="OUT", help="write every run's raw results here (rewritten after each)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: 1 seed, {QUICK_BUDGET:g} s per run, {QUICK_CONFIRM} confirmation "
                             "episodes, unless given")  # fmt: skip
    parser.add_argument("--sb3-train", nargs=3, metavar=("GAME", "SEED", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--sb3-confirm", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.sb3_train:
        game, seed, folder = args.sb3_train
        result = sb3_train(game, int(seed), folder, float(args.budget[0]), int(args.eval_every[0]),
                           int(args.eval_episodes[0]), args.target, args.sb3_timesteps_scale,
                           args.torch_threads)  # fmt: skip
        print(json.dumps(result))
        return 0
    if args.sb3_confirm:
        game, model, params, episodes, seed = args.sb3_confirm
        print(json.dumps(sb3_confirm(game, model, params, int(episodes), int(seed))))
        return 0

    if args.merge:
        print(table(*merge(args.merge)))
        return 0
    args.seeds = args.seed_list or list(range(args.seeds or (1 if args.quick else 3)))
    args.confirm_episodes = args.confirm_episodes or (QUICK_CONFIRM if args.quick else 100)
    if args.quick:
        args.budget = args.budget or [str(QUICK_BUDGET)]
    budgets = per_game(args.budget, args.games, {g: GAMES[g].budget for g in GAMES}, float)
    periods = per_game(args.eval_every, args.games, {g: GAMES[g].eval_every for g in GAMES}, int)
    args.eval_episodes = per_game(args.eval_episodes, args.games, {g: GAMES[g].eval_episodes for g in GAMES}, int)

    results: dict[str, Any] = {}
    settings = {k: getattr(args, k) for k in ("games", "seeds", "eval_episodes", "confirm_episodes",
                                               "sb3_timesteps_scale", "torch_threads")}  # fmt: skip
    settings.update(trainer=trainer_fingerprint(), machine=machine(),
                    clock="seconds of training, evaluation time included (both sides)",
                    confirm_seed=f"{CONFIRM_SEED_OFFSET} + seed", zoo_config=str(zoo_config()),
                    sb3_stop_rule=SB3_STOP_RULE)  # fmt: skip

    def dump() -> None:
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"settings": settings, "games": results}, f, indent=2)

    print(f"seeds {', '.join(map(str, args.seeds))} per game and side; evaluations of greedy episodes as below; "
          f"confirmation {args.confirm_episodes} episodes; clock: training seconds, evaluation included")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.runs_dir) / time.strftime("control_vs_sb3-%Y%m%d-%H%M%S") if args.runs_dir else Path(tmp)
        for game in args.games:
            g, budget, every = GAMES[game], budgets[game], periods[game]
            entry_name, entry = zoo_entry(game)
            note = "" if entry_name == game else f" (no {game} entry: the closest one used)"
            print(f"\n{game}: target {fmt(g.target, 'g')}, budget {budget:g} s, evaluation every {every:,} steps "
                  f"({args.eval_episodes[game]} episodes); "
                  f"SB3: rl-zoo a2c.yml entry {entry_name}{note}: {entry}", flush=True)  # fmt: skip
            print(f"{'game':<25} {'seed':>4}  {'side':<5} {'solved':>6}  {'to tgt s':>8}  {'to tgt st':>10}  "
                  f"{'train s':>7}  {'wall s':>7}  {'steps/s':>8}  {'eval100':>8}  stop")  # fmt: skip
            res = results[game] = {"target": g.target, "budget": budget, "eval_every": every, "zoo_entry": entry_name,
                                   "zoo_hyperparams": entry, "runs": {"ours": [], "sb3": []}}  # fmt: skip
            for seed in args.seeds:
                for side, go in (("ours", run_ours_side), ("sb3", run_sb3_side)):
                    folder = base / game / side / f"seed{seed}"
                    folder.mkdir(parents=True, exist_ok=False)
                    try:
                        r = go(game, seed, g, budget, every, args, folder)
                        finish(r, g.target)
                    except RuntimeError as exc:  # one failed run is reported; the others still run
                        r = {"seed": seed, "error": str(exc)}
                    res["runs"][side].append(r)
                    show(game, side, r)
                    dump()
            res["summary"] = {side: summarize(rs, g.target) for side, rs in res["runs"].items()}
            dump()

    print()
    print(table(results, args.confirm_episodes))
    print(f"\nmedians over seeds; an unsolved seed counts as never reaching the target ('-' where that is the "
          f"median); solved = a training evaluation reached the target and the {args.confirm_episodes}-episode "
          f"evaluation confirmed it")  # fmt: skip
    if args.json:
        print(f"raw results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
