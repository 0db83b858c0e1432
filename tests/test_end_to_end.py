"""Short real training runs through the command line, and what they leave on disk."""

from __future__ import annotations

import collections
import csv
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import (
    EPISODES_HEADER,
    finish,
    ignore_sigint,
    is_png,
    outputs_of_keras_file,
    run_cli,
    run_dirs,
    start_cli,
)
from models import Categorical, build_model
from rundir import read_checkpoint

pytestmark = pytest.mark.e2e

MAX_STEPS = 3000
WORKERS = 2
SEEDS = (0, 7)  # two runs, to compare with --plot
SUMMARY = re.compile(
    r"^(solved|not solved \((?P<reason>[a-z ]+)\)): CartPole-v1 \| episodes (?P<episodes>[\d,]+) \| "
    r"steps (?P<steps>[\d,]+) \| .* \| run (?P<run>.+)$"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two short CartPole runs side by side, each in its own runs directory."""
    started = []
    for seed in SEEDS:
        cwd = tmp_path_factory.mktemp(f"e2e-seed{seed}")
        runs_dir = cwd / "runs"
        args = [
            "--game",
            "CartPole-v1",
            "--max-steps",
            MAX_STEPS,
            "--workers",
            WORKERS,
            "--seed",
            seed,
            "--runs-dir",
            runs_dir,
        ]
        started.append((seed, cwd, runs_dir, start_cli(args, cwd)))
    out = {}
    for seed, cwd, runs_dir, proc in started:
        result = finish(proc, timeout=300)
        assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        made = run_dirs(runs_dir)
        assert len(made) == 1, made
        assert (runs_dir / "latest").resolve() == made[0].resolve()  # --plot/--eval runs/latest
        out[seed] = {"result": result, "cwd": cwd, "run_dir": made[0]}
    return out


def read_rows(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "episodes.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_run_exits_cleanly_and_prints_the_summary(runs):
    for run in runs.values():
        result, run_dir = run["result"], run["run_dir"]
        assert "Traceback" not in result.stdout + result.stderr
        assert result.stderr == ""  # the project's output only: no TensorFlow start-up notices (oneDNN, absl)
        summary = [m for m in map(SUMMARY.match, result.stdout.splitlines()) if m]
        assert len(summary) == 1, result.stdout
        m = summary[0]
        assert m["reason"] == "max steps"  # 3000 steps is far too few to average 475
        assert int(m["steps"].replace(",", "")) >= MAX_STEPS
        assert int(m["episodes"].replace(",", "")) == len(read_rows(run_dir))
        assert Path(m["run"]) == run_dir
        assert run_dir.name.startswith("CartPole-v1-")
        assert list(run["cwd"].iterdir()) == [run_dir.parent]  # nothing written outside the runs dir


def test_config_json_records_what_reproduces_the_run(runs):
    import gymnasium
    import tensorflow as tf

    for seed, run in runs.items():
        saved = json.loads((run["run_dir"] / "config.json").read_text())
        config = saved["config"]
        assert config["game"] == "CartPole-v1"
        assert config["seed"] == seed
        assert config["workers"] == WORKERS
        assert config["max_steps"] == MAX_STEPS
        assert config["learning_rate"] == pytest.approx(1e-3)
        assert {"gamma", "t_max", "entropy_beta", "value_coef", "max_grad_norm"} <= set(config["hyperparams"])
        versions = saved["versions"]
        assert versions["tensorflow"] == tf.__version__
        assert versions["gymnasium"] == gymnasium.__version__
        assert {"python", "keras", "numpy"} <= set(versions)


def test_episodes_csv_rows_are_consistent(runs):
    for run in runs.values():
        run_dir = run["run_dir"]
        assert (run_dir / "episodes.csv").read_text().splitlines()[0] == EPISODES_HEADER
        rows = read_rows(run_dir)
        assert len(rows) >= 1
        assert [int(r["episode"]) for r in rows] == list(range(1, len(rows) + 1))
        seconds = [float(r["seconds"]) for r in rows]
        assert seconds == sorted(seconds) and seconds[0] >= 0
        for r in rows:
            assert None not in r and None not in r.values(), r  # exactly six columns
            assert int(r["worker"]) in range(WORKERS)
            assert int(r["length"]) > 0
            assert float(r["return"]) == int(r["length"])  # CartPole pays 1 per step, rewards untouched
            assert int(r["global_step"]) > 0


def test_both_workers_really_ran(runs):
    for run in runs.values():
        rows = read_rows(run["run_dir"])
        per_worker = collections.Counter(int(r["worker"]) for r in rows)
        assert set(per_worker) == set(range(WORKERS)), (per_worker, rows[-3:], run["result"].stdout)


def test_reward_curve_png_is_saved(runs):
    for run in runs.values():
        assert is_png(run["run_dir"] / "rewards.png")


def test_checkpoint_holds_weights_optimizer_and_counters(runs):
    for seed, run in runs.items():
        run_dir = run["run_dir"]
        # no temporary file left beside them
        assert sorted(p.name for p in (run_dir / "checkpoint").iterdir()) == ["checkpoint.npz", "model.keras"]
        weights, optimizer_state, state = read_checkpoint(run_dir)
        assert state["global_step"] >= MAX_STEPS
        assert state["episodes"] == len(read_rows(run_dir))
        assert state["seed"] == seed
        assert state["game"] == "CartPole-v1"
        assert state["updates"] > 0
        assert max(int(r["global_step"]) for r in read_rows(run_dir)) <= state["global_step"]
        assert len(optimizer_state) > 0
        model = build_model("mlp", (4,), Categorical(2))
        assert [w.shape for w in weights] == [w.shape for w in model.get_weights()]
        assert all(np.all(np.isfinite(w)) for w in weights)
        model.set_weights(weights)  # a trained model can be rebuilt from it
        logits, value = model(np.zeros((1, 4), np.float32))
        assert tuple(logits.shape) == (1, 2) and tuple(value.shape) == (1,)


def test_checkpoint_model_keras_file_loads_anywhere_with_the_trained_weights(runs, tmp_path):
    """checkpoint/model.keras holds the same network and weights as checkpoint.npz, for keras.saving.load_model."""
    run_dir = runs[SEEDS[0]]["run_dir"]
    model = build_model("mlp", (4,), Categorical(2))
    model.set_weights(read_checkpoint(run_dir).weights)
    obs = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    params, values = outputs_of_keras_file(run_dir / "checkpoint" / "model.keras", obs, tmp_path)
    np.testing.assert_allclose(params, model(obs)[0].numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(values, model(obs)[1].numpy(), rtol=1e-6, atol=1e-6)


def test_plot_compares_two_runs(runs, tmp_path):
    run_dirs = [runs[s]["run_dir"] for s in SEEDS]
    before = {p: p.read_bytes() for d in run_dirs for p in d.rglob("*") if p.is_file()}
    result = run_cli(["--plot", *run_dirs, "--out", "compare.png"], cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert is_png(tmp_path / "compare.png")
    assert "compare.png" in result.stdout
    # Viewing curves never changes a saved run.
    assert {p: p.read_bytes() for d in run_dirs for p in d.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    "sig, exit_code, sigint_ignored",
    [(signal.SIGINT, 130, False), (signal.SIGTERM, 143, False), (signal.SIGINT, 130, True)],
    # The last: started with SIGINT ignored (a background job of a non-interactive shell); Ctrl-C must still work.
    ids=["ctrl-c", "sigterm", "ctrl-c-when-started-with-sigint-ignored"],
)
def test_interrupted_run_saves_checkpoint_and_curves(tmp_path, sig, exit_code, sigint_ignored):
    if sigint_ignored:  # the harness really starts a process with SIGINT ignored
        probe = subprocess.run(
            [sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT))"],
            capture_output=True,
            text=True,
            preexec_fn=ignore_sigint,
            check=True,
        )
        assert probe.stdout.strip() == str(signal.SIG_IGN), probe
    runs_dir = tmp_path / "runs"
    proc = start_cli(
        [
            "--game",
            "CartPole-v1",
            "--workers",
            WORKERS,
            "--max-steps",
            10**9,
            "--target-reward",
            1e9,
            "--runs-dir",
            runs_dir,
        ],
        cwd=tmp_path,
        sigint_ignored=sigint_ignored,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:  # wait until it is really training
            csvs = list(runs_dir.glob("*/episodes.csv"))
            if csvs and len(csvs[0].read_text().splitlines()) > 5:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the run ended before it was interrupted"
        proc.send_signal(sig)
        result = finish(proc, timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == exit_code, output
    assert "Traceback" not in result.stdout + result.stderr, output
    assert any(line.startswith("not solved (interrupted): CartPole-v1") for line in result.stdout.splitlines()), output
    (run_dir,) = run_dirs(runs_dir)
    _, _, state = read_checkpoint(run_dir)
    assert state["global_step"] > 0
    assert state["episodes"] == len(read_rows(run_dir)) > 5
    assert is_png(run_dir / "rewards.png")


def test_run_writes_tensorboard_events_with_the_named_tags(runs):
    from test_tensorboard_log import read_back

    run_dir = runs[0]["run_dir"]
    scalars = read_back(run_dir / "tensorboard")
    rows = read_rows(run_dir)
    # Every episode of the CSV is in TensorBoard, at the same global steps.
    assert [step for step, _ in scalars["episode/return"]] == [int(r["global_step"]) for r in rows]
    assert [value for _, value in scalars["episode/return"]] == [float(r["return"]) for r in rows]
    assert {"worker_0/episode_return", "worker_1/episode_return", "episode/length"} <= set(scalars)
