"""Nothing lost: real processes stopped by SIGINT / SIGTERM / SIGKILL at random moments, then resumed;
injected worker exceptions and NaN gradients (worker 0's core wrapped by tests/fault_injection.py)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, cli_env, finish, run_cli, run_dirs, start_cli
from rundir import read_checkpoint, read_episodes

pytestmark = pytest.mark.e2e

FAULT_INJECTION = REPO_ROOT / "tests" / "fault_injection.py"
# Never solved, never out of budget: the run ends only by the signals sent (CartPole can solve in 3 s).
ENDLESS_CARTPOLE = ["--game", "CartPole-v1", "--max-steps", "100000000", "--target-reward", "1e9"]
ENDLESS_CARTPOLE += ["--checkpoint-every", "0.5"]


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"run ended before {path} appeared: {proc.communicate()}"
        assert time.monotonic() < deadline, f"{path} did not appear in {timeout} s"
        time.sleep(0.05)


def only_run_dir(runs: Path) -> Path:
    (run_dir,) = run_dirs(runs)
    return run_dir


def wait_for_run_dir(runs: Path, proc: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 120
    while not (runs.is_dir() and run_dirs(runs)):
        assert proc.poll() is None, f"run ended before its directory appeared: {proc.communicate()}"
        assert time.monotonic() < deadline, "no run directory after 120 s"
        time.sleep(0.05)
    return only_run_dir(runs)


def check_run_is_intact(run_dir: Path) -> tuple[dict, dict]:
    """Checkpoint loadable with finite weights, episodes.csv readable and numbered 1..N."""
    weights, optimizer_state, state = read_checkpoint(run_dir)
    assert weights and optimizer_state and all(np.isfinite(w).all() for w in weights)
    episodes = read_episodes(run_dir)
    np.testing.assert_array_equal(episodes["episode"], np.arange(1, len(episodes["episode"]) + 1))
    assert state["game"] == "CartPole-v1" and state["global_step"] > 0
    return state, episodes


def test_kill_and_resume_cycles_lose_nothing(tmp_path):
    """SIGINT, SIGTERM and SIGKILL at random moments; each time the run resumes from what was saved."""
    rng = random.Random(int(os.environ.get("A3C_TEST_SEED", "0")) or None)
    runs = tmp_path / "runs"
    first = [*ENDLESS_CARTPOLE, "--workers", "2", "--runs-dir", runs]
    proc = start_cli(first, cwd=tmp_path)
    run_dir = wait_for_run_dir(runs, proc)
    previous_steps, previous_rows = 0, 0
    for cycle, sig in enumerate([signal.SIGINT, signal.SIGTERM, signal.SIGKILL]):
        wait_for(run_dir / "checkpoint" / "checkpoint.npz", proc)
        time.sleep(rng.uniform(0.0, 2.0))
        proc.send_signal(sig)
        result = finish(proc, timeout=60)
        expected = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -signal.SIGKILL}[sig]
        assert result.returncode == expected, (sig, result.stdout[-2000:], result.stderr[-2000:])
        assert "Traceback" not in result.stderr
        if sig != signal.SIGKILL:  # a graceful stop prints its summary and saves everything at the end
            assert "not solved (interrupted)" in result.stdout
            assert (run_dir / "rewards.png").is_file()
        state, episodes = check_run_is_intact(run_dir)
        assert state["global_step"] >= previous_steps
        assert len(episodes["episode"]) >= previous_rows
        if sig != signal.SIGKILL:  # everything written at the stop agrees with the checkpoint
            assert state["episodes"] == len(episodes["episode"])
        previous_steps, previous_rows = state["global_step"], len(episodes["episode"])
        # Resume: counters continue, episodes.csv is appended, nothing before is rewritten.
        before = (run_dir / "episodes.csv").read_bytes()
        before = before[: before.rfind(b"\n") + 1]  # a SIGKILL may leave a torn last line, dropped on resume
        budget = state["global_step"] + 100_000  # long enough for episodes to end (64 envs per worker)
        if cycle < 2:
            proc = start_cli(
                ["--resume", run_dir, "--max-steps", "100000000", "--checkpoint-every", "0.5"], cwd=tmp_path
            )
            # The resumed run must be writing again before the next signal: wait for a newer checkpoint.
            mtime = (run_dir / "checkpoint" / "checkpoint.npz").stat().st_mtime
            deadline = time.monotonic() + 120
            while (run_dir / "checkpoint" / "checkpoint.npz").stat().st_mtime == mtime:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert (run_dir / "episodes.csv").read_bytes().startswith(before)
        else:
            result = run_cli(["--resume", run_dir, "--max-steps", str(budget)], cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            assert "not solved (max steps)" in result.stdout or "solved" in result.stdout
            assert (run_dir / "episodes.csv").read_bytes().startswith(before)
            final_state, final_episodes = check_run_is_intact(run_dir)
            assert final_state["global_step"] >= budget or "solved:" in result.stdout
            assert len(final_episodes["episode"]) > previous_rows
            config = json.loads((run_dir / "config.json").read_text())
            assert len(config["resumes"]) == 3 and config["config"]["max_steps"] == budget


def test_second_ctrl_c_quits_at_once_and_leaves_readable_files(tmp_path):
    runs = tmp_path / "runs"
    proc = start_cli(
        [*ENDLESS_CARTPOLE, "--runs-dir", runs],
        cwd=tmp_path,
    )
    run_dir = wait_for_run_dir(runs, proc)
    wait_for(run_dir / "checkpoint" / "checkpoint.npz", proc)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    result = finish(proc, timeout=30)
    assert result.returncode == 130
    check_run_is_intact(run_dir)


def run_with_fault(tmp_path: Path, fault: str, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    runs = tmp_path / "runs"
    result = subprocess.run(
        [sys.executable, str(FAULT_INJECTION), fault, "--game", "CartPole-v1", "--runs-dir", str(runs), *args],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, only_run_dir(runs)


def test_a_failing_worker_is_restarted_with_a_fresh_environment(tmp_path):
    # The first update fails: CartPole's 20,000 steps take under a second, and on a loaded machine worker 1 could
    # run them all before worker 0 reached a later update (seen once in CI, sharing the cores with a benchmark).
    result, run_dir = run_with_fault(tmp_path, "exception@1", "--max-steps", "20000", "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "worker 0 failed (InjectedFault" in result.stderr and "restarting it" in result.stderr
    assert "Traceback" not in result.stderr
    assert "InjectedFault" in (run_dir / "error.log").read_text()  # the traceback is kept for the user
    state, episodes = check_run_is_intact(run_dir)
    assert state["global_step"] >= 20000
    assert set(episodes["worker"][-50:]) >= {0.0}  # the restarted worker goes on producing episodes


def test_persistent_nan_gradients_stop_the_run_with_the_last_good_checkpoint(tmp_path):
    result, run_dir = run_with_fault(tmp_path, "nan@5", "--max-steps", "10000000", "--workers", "2")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "non-finite gradients in a row" in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    state, _ = check_run_is_intact(run_dir)  # finite weights: no NaN ever reached the global model
    assert state["skipped_updates"] >= 20


def test_a_single_nan_gradient_is_skipped_and_counted(tmp_path):
    result, run_dir = run_with_fault(tmp_path, "nan_once@5", "--max-steps", "20000")
    assert result.returncode == 0, result.stderr
    assert "skipped 1 non-finite updates" in result.stdout
    state, _ = check_run_is_intact(run_dir)
    assert state["skipped_updates"] == 1
