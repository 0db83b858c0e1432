"""`run.py --tune`: an Optuna study of real trials, each a run directory, continued by running it again, stopped
cleanly by Ctrl-C, its best settings a file `--config` trains from."""

from __future__ import annotations

import json
import signal
import sqlite3
import time

import pytest

from conftest import finish, run_cli, run_dirs, start_cli

pytest.importorskip("optuna")

TRIAL = ["--trial-seconds", "2", "--workers", "1", "--tune-params", "lr,gamma"]


def stored(study_dir, query: str) -> list:
    """One column of Optuna's SQLite storage, read directly: what is on disk, not what the API makes of it."""
    with sqlite3.connect(study_dir / "study.db") as db:
        return [value for (value,) in db.execute(query)]


def trial_states(study_dir) -> list[str]:
    return stored(study_dir, "SELECT state FROM trials ORDER BY number")


def trial_values(study_dir) -> list[float]:
    return stored(study_dir, "SELECT value FROM trial_values ORDER BY trial_id")


def test_a_study_runs_trials_continues_and_its_best_settings_train(tmp_path):
    runs = tmp_path / "runs"
    study_dir = runs / "tune-CartPole-v1"
    first = run_cli(["--tune", "--game", "CartPole-v1", "--trials", "2", *TRIAL, "--runs-dir", runs], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert trial_states(study_dir) == ["COMPLETE", "COMPLETE"]
    trials = run_dirs(study_dir / "trials")
    assert len(trials) == 2
    # The first trial plays the game's own settings (its preset's lr, gamma's default).
    first_config = json.loads((trials[0] / "config.json").read_text())["config"]
    assert (first_config["learning_rate"], first_config["hyperparams"]["gamma"]) == (1e-3, 0.99)
    assert first_config["target_reward"] is None  # a trial runs its time, so values compare
    table = first.stdout[first.stdout.index("trial  state") :]
    assert len([line for line in table.splitlines() if "complete" in line]) == 2

    again = run_cli(["--tune", "--game", "CartPole-v1", "--trials", "3", *TRIAL, "--runs-dir", runs], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert trial_states(study_dir) == ["COMPLETE"] * 3  # one more, not three more
    assert len(run_dirs(study_dir / "trials")) == 3

    best_file = study_dir / "best.yaml"
    from master_agent.presets import read_settings_file

    best = read_settings_file(best_file)
    assert best["game"] == "CartPole-v1" and set(best) >= {"lr", "gamma"}
    assert "workers" in best  # what every trial shared goes with them
    trained = run_cli(["--config", best_file, "--max-steps", "1000", "--runs-dir", tmp_path / "mine"], cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    (run_dir,) = run_dirs(tmp_path / "mine")
    config = json.loads((run_dir / "config.json").read_text())["config"]
    assert (config["learning_rate"], config["hyperparams"]["gamma"]) == (best["lr"], best["gamma"])


def test_a_trial_of_several_seeds_is_worth_the_mean_of_their_runs(tmp_path):
    from rundir import read_episodes

    runs = tmp_path / "runs"
    study_dir = runs / "tune-CartPole-v1"
    args = ["--tune", "--game", "CartPole-v1", *TRIAL, "--runs-dir", runs]
    result = run_cli([*args, "--trials", "1", "--trial-seeds", "2"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    trials = run_dirs(study_dir / "trials")
    seeds = [json.loads((run / "config.json").read_text())["config"]["seed"] for run in trials]
    assert sorted(seeds) == [0, 1]  # trial 0's two runs, each on its own seed
    last_100_means = [read_episodes(run)["return"][-100:].mean() for run in trials]
    (value,) = trial_values(study_dir)
    assert value == pytest.approx(sum(last_100_means) / 2, abs=0.01)  # episodes.csv keeps 3 decimals

    # Values judged over 2 seeds do not compare with values over 1: a continued study must keep its trials' shape.
    other = run_cli([*args, "--trials", "2", "--trial-seeds", "1"], cwd=tmp_path)
    assert other.returncode != 0
    assert other.stderr.strip().splitlines()[-1].startswith("error: --trial-seeds 1: the study in")
    assert trial_states(study_dir) == ["COMPLETE"]  # nothing run, nothing lost


def test_a_study_over_the_kinds_defaults_says_so_and_is_continued_only_so(tmp_path):
    from tuning.search import recorded_trials

    runs = tmp_path / "runs"
    study_dir = runs / "tune-CartPole-v1"
    args = ["--tune", "--game", "CartPole-v1", *TRIAL, "--runs-dir", runs]
    result = run_cli([*args, "--trials", "1", "--no-preset"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert recorded_trials(study_dir)["preset"] is False  # bench/search_check.py plays both sides so
    # best.yaml would train over the game's preset with --config alone: it says how it was found.
    assert f"--config {study_dir / 'best.yaml'} --no-preset" in (study_dir / "best.yaml").read_text()
    assert f"--config {study_dir / 'best.yaml'} --no-preset" in result.stdout

    over_preset = run_cli([*args, "--trials", "2"], cwd=tmp_path)
    assert over_preset.returncode != 0
    assert over_preset.stderr.strip().splitlines()[-1] == (
        f"error: the study in {study_dir} ran its trials with --no-preset: give it again, or another --study-dir"
    )
    assert trial_states(study_dir) == ["COMPLETE"]


def test_ctrl_c_stops_the_study_keeping_the_finished_trials(tmp_path):
    runs = tmp_path / "runs"
    study_dir = runs / "tune-CartPole-v1"
    proc = start_cli(["--tune", "--game", "CartPole-v1", "--trials", "5", *TRIAL, "--runs-dir", runs], cwd=tmp_path)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:  # until the second trial is training
        if (study_dir / "trials").is_dir() and len(run_dirs(study_dir / "trials")) >= 2:
            break
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    result = finish(proc, timeout=120)
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr
    states = trial_states(study_dir)
    assert states[0] == "COMPLETE" and states[-1] == "FAIL" and "RUNNING" not in states, states
    assert "trial  state" in result.stdout  # the table is printed on the way out

    resumed = run_cli(["--tune", "--game", "CartPole-v1", "--trials", str(len(states)), *TRIAL, "--runs-dir", runs],
                      cwd=tmp_path)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert trial_states(study_dir).count("COMPLETE") == states.count("COMPLETE") + 1


def test_an_observer_stops_a_run(tmp_path):
    """The hook the search prunes through: training stops when the observer says so."""
    import a3c

    seen = []

    def observe(seconds, step, average):
        seen.append(step)
        return len(seen) >= 2

    config = a3c.make_config("CartPole-v1", workers=1, max_seconds=60, runs_dir=str(tmp_path), target_reward=1e9)
    result = a3c.train(config, observe)
    assert result.reason == "stopped_by_caller"
    assert len(seen) == 2 and result.seconds < 30
