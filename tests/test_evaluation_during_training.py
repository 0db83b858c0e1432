"""Evaluation during training (eval.csv, best/, --target-on eval), --eval/--export --best, and the SavedModel's
greedy actions against --eval --greedy's: real CartPole runs through the command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import outputs_of_keras_file, run_cli, run_dirs
from master_agent.config import RunConfig
from master_agent.episodes import EpisodeTally, confirmation_bound
from rundir import EVAL_COLUMNS, read_checkpoint, read_evals
from worker import Hyperparams

pytestmark = pytest.mark.e2e

EVERY = 20_000
EVAL_EPISODES = 4


@pytest.fixture(scope="module")
def evaluated_run(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("evaluated")
    args = ["--game", "CartPole-v1", "--max-steps", 100_000, "--workers", 2, "--seed", 1]
    args += ["--eval-every", EVERY, "--eval-episodes", EVAL_EPISODES, "--runs-dir", cwd / "runs"]
    result = run_cli(args, cwd)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(cwd / "runs")
    return run_dir


def test_eval_csv_has_one_row_per_evaluation_at_the_period(evaluated_run):
    lines = (evaluated_run / "eval.csv").read_text().splitlines()
    assert tuple(lines[0].split(",")) == EVAL_COLUMNS
    evals = read_evals(evaluated_run)
    steps = evals["global_step"]
    assert len(steps) >= 2
    # Taken when the step count passed a multiple of the period (never two in one period), in order.
    assert np.all(steps >= EVERY) and np.all(np.diff(steps // EVERY) >= 1)
    assert np.all(np.diff(evals["seconds"]) > 0) and np.all(np.diff(evals["train_episodes"]) >= 0)
    assert np.all((evals["min"] <= evals["mean"]) & (evals["mean"] <= evals["max"]))
    assert np.all((evals["max"] <= 500) & (evals["min"] >= 1) & (evals["std"] >= 0))


def test_best_holds_the_weights_of_the_best_evaluation(evaluated_run, tmp_path):
    evals = read_evals(evaluated_run)
    weights, optimizer_state, state = read_checkpoint(evaluated_run, "best")
    assert optimizer_state == []
    assert state["eval_mean"] == pytest.approx(evals["mean"].max(), abs=0.01)
    first_best = int(np.argmax(evals["mean"]))  # a later equal mean does not replace it
    assert state["global_step"] == evals["global_step"][first_best]
    assert len(state["eval_scores"]) == EVAL_EPISODES
    # best/model.keras is the same network, loadable without the project's run code
    obs = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    params, _ = outputs_of_keras_file(evaluated_run / "best" / "model.keras", obs, tmp_path)
    from models import Categorical, build_model

    model = build_model("mlp", (4,), Categorical(2))
    model.set_weights(weights)
    np.testing.assert_allclose(params, model(obs)[0].numpy(), atol=1e-5)


def test_eval_best_plays_the_best_weights_and_replays_the_evaluation(evaluated_run, tmp_path):
    _, _, state = read_checkpoint(evaluated_run, "best")
    result = run_cli(["--eval", evaluated_run, "--best", "--greedy", "--episodes", 2], tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"best weights at step {state['global_step']:,}" in result.stdout


def test_export_greedy_actions_equal_eval_greedy(evaluated_run, tmp_path):
    """The SavedModel, loaded by TensorFlow alone in a fresh process, plays the same greedy games as --eval."""
    out = tmp_path / "served"
    exported = run_cli(["--export", evaluated_run, out, "--best"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert (out / "saved_model.pb").is_file()
    evaluated = run_cli(["--eval", evaluated_run, "--best", "--greedy", "--episodes", 3, "--seed", 5], tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    expected = re.findall(r"episode \d: score (\S+) \(([\d,]+) steps\)", evaluated.stdout)
    # As `evaluate.player.play` plays: the first reset seeded, the next ones continuing the env's generator.
    script = f"""
import gymnasium as gym, numpy as np, tensorflow as tf
try:
    import models
    raise SystemExit("the project is importable here")
except ImportError:
    pass
serve = tf.saved_model.load({str(out)!r}).signatures["serving_default"]
env = gym.make("CartPole-v1")
for i in range(3):
    obs, _ = env.reset(seed=5 if i == 0 else None)
    score, steps, done = 0.0, 0, False
    while not done:
        action = int(serve(observations=tf.constant(obs[None], tf.float32))["greedy_action"][0])
        obs, reward, terminated, truncated, _ = env.step(action)
        score, steps, done = score + reward, steps + 1, terminated or truncated
    print(f"{{score:g}} {{steps:,}}")
"""
    served = subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert served.returncode == 0, served.stderr
    assert [tuple(line.split()) for line in served.stdout.splitlines()] == expected


def test_target_on_eval_stops_at_the_first_evaluation_its_confirmation_holds(tmp_path):
    args = ["--game", "CartPole-v1", "--workers", 2, "--target-reward", 60, "--target-on", "eval"]
    args += ["--eval-every", 10_000, "--eval-episodes", 3, "--max-steps", 400_000, "--runs-dir", tmp_path / "runs"]
    result = run_cli(args, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "stops at       evaluation mean >= 60, confirmed over 100 more episodes" in result.stdout
    (run_dir,) = run_dirs(tmp_path / "runs")
    evals = read_evals(run_dir)
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("solved: CartPole-v1")
    # best/ holds the confirmed weights, with the confirmation's 100 scores, taken at the step the summary gives
    _, _, best = read_checkpoint(run_dir, "best")
    assert best["confirmed"] and len(best["eval_scores"]) == 100
    assert best["eval_mean"] == pytest.approx(np.mean(best["eval_scores"]))
    assert confirmation_bound(best["eval_scores"]) >= 60  # its mean less three standard errors
    assert f"steps {best['global_step']:,} |" in summary
    # every evaluation that reached 60 was confirmed in order, each but the last failing: one note each
    reached = [int(s) for s, m in zip(evals["global_step"], evals["mean"]) if m >= 60]
    notes = re.findall(r"evaluation at step ([\d,]+) reached the target; 100 more greedy episodes: mean (\S+) \+- "
                       r"(\S+) \(standard error\), (.*)", result.stdout)  # fmt: skip
    assert [int(step.replace(",", "")) for step, *_ in notes] == reached[: len(notes)]
    assert notes[-1][3] == "confirmed" and int(notes[-1][0].replace(",", "")) == best["global_step"]
    assert all(
        verdict == "not clear of 60 by 3 standard errors, training goes on" and float(mean) - 3 * float(error) < 60
        for _, mean, error, verdict in notes[:-1]
    )


def test_old_run_without_evaluations_still_evaluates_and_says_what_best_lacks(evaluated_run, tmp_path):
    """A run directory from before this change: no eval.csv, no best/, no model.keras."""
    import shutil

    old = tmp_path / "old-run"
    shutil.copytree(evaluated_run, old)
    shutil.rmtree(old / "best")
    (old / "eval.csv").unlink()
    (old / "checkpoint" / "model.keras").unlink()
    config = json.loads((old / "config.json").read_text())
    for key in ("eval_every", "eval_episodes", "target_on"):
        del config["config"][key]
    (old / "config.json").write_text(json.dumps(config))

    assert run_cli(["--eval", old, "--episodes", 1], tmp_path).returncode == 0
    assert run_cli(["--export", old, tmp_path / "served"], tmp_path).returncode == 0
    for args in (["--eval", old, "--best"], ["--export", old, tmp_path / "x", "--best"]):
        result = run_cli(args, tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith(f"error: '{old}' has no best weights (best/checkpoint.npz)")
        assert len(result.stderr.splitlines()) == 1
    resumed = run_cli(["--resume", old, "--max-steps", 110_000], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "evaluates      off" in resumed.stdout  # what an old config means
    assert (old / "checkpoint" / "model.keras").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--target-on", "eval", "--eval-every", "0"], "--target-on eval needs evaluation during training"),
        (["--eval-episodes", "3", "--eval-every", "0"], "--eval-episodes applies only with evaluation during"),
        (["--best"], "--best applies only with --eval or --export"),
        (["--eval-every", "-5"], "argument --eval-every: must be >= 0"),
    ],
)
def test_evaluation_flags_refuse_what_cannot_work(tmp_path, args, message):
    result = run_cli(["--game", "CartPole-v1", *args, "--runs-dir", tmp_path / "runs"], tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert not (tmp_path / "runs").exists()


def tally(target_on: str) -> EpisodeTally:
    class Sink:
        def write(self, *args):
            pass

        def episode(self, *args):
            pass

    config = RunConfig(
        game="G",
        learning_rate=1e-3,
        hyperparams=Hyperparams(t_max=5, envs_per_worker=1),
        max_steps=None,
        target_reward=10.0,
        target_window=2,
        target_on=target_on,
        eval_every=100,
    )
    return EpisodeTally(config, Sink(), Sink())


def test_stop_rule_uses_the_training_window_or_a_confirmed_evaluation_as_told():
    on_train, on_eval = tally("train"), tally("eval")
    for t in (on_train, on_eval):
        t.add(0, 12.0, 5, 50, 1.0)
        t.add(0, 12.0, 5, 60, 1.0)  # the training window's mean reaches 10
        assert t.add_evaluation(8.0)  # the first evaluation is the best so far
    assert on_train.solved_at == (2, 60, 1.0) and on_eval.solved_at is None
    assert not on_train.worth_confirming(11.0)  # the training window decides there
    assert not on_eval.add_evaluation(7.0)  # worse: not the best, best/ keeps the weights
    assert not on_eval.worth_confirming(7.0)
    # 11 reaches the target: best/ waits for its confirmation, whose mean ranks it
    assert not on_eval.add_evaluation(11.0) and on_eval.best_evaluation == 11.0
    assert on_eval.worth_confirming(11.0) and on_eval.solved_at is None  # reaching it is not enough
    assert not on_eval.add_confirmation([9.0, 10.0], 4, 300, 2.5)  # its weights fall short on fresh episodes
    # mean 10.5 but standard deviation 2.12, standard error 1.5: 6.0 three of them lower, not clear of the target
    assert confirmation_bound([9.0, 12.0]) == pytest.approx(6.0)
    assert not on_eval.add_confirmation([9.0, 12.0], 5, 400, 3.0)
    # mean 10.7, standard deviation 0.577, standard error 0.289: 10.12 two lower but 9.83 three lower, not clear
    assert confirmation_bound([10.2, 11.2, 11.2, 10.2]) == pytest.approx(10.7 - 0.75**0.5)
    assert not on_eval.add_confirmation([10.2, 11.2, 11.2, 10.2], 5, 450, 3.2)
    assert on_eval.solved_at is None
    # mean 11.5, the same standard error: 10.63 three lower, clear of 10
    assert confirmation_bound([11.0, 12.0, 12.0, 11.0]) == pytest.approx(11.5 - 0.75**0.5)
    assert on_eval.add_confirmation([11.0, 12.0, 12.0, 11.0], 6, 500, 3.5)
    assert on_eval.solved_at == (6, 500, 3.5) and on_eval.stop_reason(600, 4.0) == "solved"


@pytest.mark.parametrize("confirm_batch, batches", [(None, [30, 30, 30, 10]), (100, [100])])
def test_a_confirmation_plays_fresh_seeds_in_batches(monkeypatch, confirm_batch, batches):
    """100 episodes in batches of the 30 evaluation environments (image games: 30, 30, 30, 10), or all at once
    (vector games: a batch of 100), on seeds no evaluation plays and no earlier confirmation played; an evaluation
    plays its own 30 seeds, the same each time, on its own environments."""
    import queue
    import threading

    import master_agent.evaluator as evaluator_module
    from envs import resolve_game
    from models import Categorical, build_model

    played: list[list[int]] = []
    real_play_batch = evaluator_module.play_batch

    def recording_play_batch(agent, envs, seeds, stopped):
        played.append(list(seeds))
        return real_play_batch(agent, envs, seeds, stopped)

    monkeypatch.setattr(evaluator_module, "play_batch", recording_play_batch)
    model = build_model("mlp", (4,), Categorical(2))
    results, stop = queue.Queue(), threading.Event()
    ev = evaluator_module.Evaluator(
        resolve_game("CartPole-v1"), False, model, (4,), 30, 3, results, stop, 100, confirm_batch
    )
    ev.start()
    try:
        for confirm in (False, True, True, False):
            ev.submit(model.get_weights(), None, 1000, 1.0, 10, confirm=confirm)
            result = results.get(timeout=60)
            assert result.confirmation == confirm and len(result.scores) == (100 if confirm else 30)
            assert np.all(result.scores >= 1)  # CartPole scores 1 a step: real games were played
            while not ev.idle:
                pass
    finally:
        stop.set()
        ev.join(timeout=30)
    assert [len(seeds) for seeds in played] == [30, *batches, *batches, 30]
    evaluation, confirmations, again = played[0], sum(played[1:-1], []), played[-1]
    assert again == evaluation == ev.seeds
    assert len(set(confirmations)) == 200 and not set(confirmations) & set(evaluation)


def test_best_ranks_an_evaluation_that_reached_the_target_by_its_confirmation():
    """best/ keeps the weights with the best score, where an evaluation that reached the target (10) is scored by its
    confirmation's mean on fresh episodes, not by its own mean on the start states every evaluation replays."""
    t = tally("eval")
    assert t.add_evaluation(5.0) and t.best_kept == 5.0
    assert not t.add_evaluation(12.0)  # reached 10: waits for its confirmation
    assert t.best_kept == 5.0 and t.best_evaluation == 12.0
    assert not t.add_confirmation([7.0, 9.0], 3, 200, 2.0)  # mean 8: not solved...
    assert t.keeps(8.0) and t.best_kept == 8.0  # ...but its weights beat the 5 in best/
    assert not t.add_evaluation(7.5)  # below 8
    assert t.add_evaluation(9.0) and t.best_kept == 9.0
    assert not t.keeps(8.5)  # a later confirmation of 8.5 leaves the 9 in best/
    on_train = tally("train")  # no confirmations there: every evaluation competes with its own mean
    assert on_train.add_evaluation(5.0) and on_train.add_evaluation(12.0) and on_train.best_kept == 12.0


def test_a_resumed_run_ranks_best_against_the_score_best_was_kept_with(tmp_path):
    from master_agent.resume import kept_score
    from rundir import BEST_DIR, save_checkpoint

    assert kept_score(tmp_path) is None  # no best/: the next evaluation takes its place
    save_checkpoint(tmp_path, [np.zeros(2, np.float32)], [], {"eval_mean": 201.7}, folder=BEST_DIR)
    assert kept_score(tmp_path) == 201.7
    (tmp_path / BEST_DIR / "checkpoint.npz").write_bytes(b"not a zip")
    assert kept_score(tmp_path) is None
