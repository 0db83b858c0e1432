"""`--backend ray`: workers as Ray actors in their own processes, on a cluster the test starts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO_ROOT, cli_env, finish, run_dirs, start_cli
from rundir import read_checkpoint, read_episodes

CARTPOLE_MAX_LENGTH = 500


def test_backend_ray_without_ray_installed_is_one_clear_error(tmp_path):
    # `sys.modules["ray"] = None` is how Python itself marks a module as unimportable.
    code = (
        f"import runpy, sys; sys.modules['ray'] = None; sys.path.insert(0, {str(REPO_ROOT)!r}); "
        f"sys.argv = ['run.py', '--game', 'CartPole-v1', '--backend', 'ray', "
        f"'--runs-dir', {str(tmp_path / 'runs')!r}]; "
        f"runpy.run_path({str(REPO_ROOT / 'run.py')!r}, run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --backend ray needs Ray, which is not installed: pip install -r requirements-ray.txt"
    ]
    assert not (tmp_path / "runs").exists()


def actor_pids() -> list[int]:
    """Processes whose title Ray set to the actor class (`ray::RolloutActor...`)."""
    from pathlib import Path

    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"RolloutActor" in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:  # a process that ended meanwhile
            pass
    return pids


def wait_for(condition, timeout: float, what: str, proc: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"run ended before {what}\nstdout:\n{out}\nstderr:\n{err}")
        time.sleep(0.2)
    proc.kill()
    out, err = proc.communicate()
    raise AssertionError(f"no {what} within {timeout} s\nstdout:\n{out}\nstderr:\n{err}")


def test_two_actors_train_cartpole_and_a_killed_actor_is_replaced(tmp_path):
    ray = pytest.importorskip("ray")
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        runs = tmp_path / "runs"
        proc = start_cli(
            [
                "--game",
                "CartPole-v1",
                "--backend",
                "ray",
                "--ray-address",
                context.address_info["gcs_address"],
                "--workers",
                "2",
                "--target-reward",
                1e9,
                "--seed",
                3,
                "--runs-dir",
                runs,
            ],
            cwd=tmp_path,
        )

        def both_workers_logged():
            dirs = run_dirs(runs) if runs.exists() else []
            if not dirs or not (dirs[0] / "episodes.csv").exists():
                return None
            episodes = read_episodes(dirs[0])
            return dirs[0] if set(episodes["worker"].astype(int)) == {0, 1} else None

        run_dir = wait_for(both_workers_logged, 240, "episodes from both actors", proc)
        pids = actor_pids()
        assert len(pids) == 2, pids  # one process per actor, apart from this test and the master
        os.kill(pids[0], signal.SIGKILL)
        time.sleep(1.0)  # the dead actor's last episodes reach episodes.csv; a replacement needs longer to start
        episodes_at_kill = len(read_episodes(run_dir)["episode"])

        def replaced_actor_logged():
            workers = read_episodes(run_dir)["worker"].astype(int)[episodes_at_kill:]
            # The dead actor's worker is the one whose episodes stopped; both must log after the kill.
            return set(workers) == {0, 1} and len(actor_pids()) == 2

        wait_for(replaced_actor_logged, 240, "episodes from the replacement actor", proc)
        proc.send_signal(signal.SIGTERM)  # stops and saves as with threads
        result = finish(proc, timeout=120)
        _, _, stopped = read_checkpoint(run_dir)
        episodes = read_episodes(run_dir)
        resumed = finish(
            start_cli(
                [
                    "--resume",
                    run_dir,
                    "--backend",
                    "ray",
                    "--ray-address",
                    context.address_info["gcs_address"],
                    "--max-steps",
                    stopped["global_step"] + 100_000,
                ],
                cwd=tmp_path,
            ),
            timeout=240,
        )
    finally:
        ray.shutdown()

    assert result.returncode == 143, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: worker")]
    assert len(warnings) == 1 and "restarting it" in warnings[0], result.stderr
    assert "ActorDiedError" in (run_dir / "error.log").read_text()
    assert set(episodes["worker"].astype(int)) == {0, 1}
    # The global step adds up: every finished episode's steps were counted; what was counted and not (yet)
    # finished is at most one episode per environment, now and in the killed actor.
    state = stopped
    finished_steps = int(episodes["length"].sum())
    envs_per_worker = json.loads((run_dir / "config.json").read_text())["config"]["hyperparams"]["envs_per_worker"]
    unfinished_at_most = 3 * envs_per_worker * CARTPOLE_MAX_LENGTH
    assert finished_steps <= state["global_step"] <= finished_steps + unfinished_at_most
    assert state["episodes"] == len(episodes["episode"])
    assert list(episodes["episode"]) == list(range(1, len(episodes["episode"]) + 1))

    # Resumed on Ray: counters go on from the checkpoint and episodes.csv is appended (100k steps: with 64
    # environments per worker and 500-step episodes, a short budget may end before any episode does).
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stdout
    _, _, final = read_checkpoint(run_dir)
    assert final["global_step"] >= stopped["global_step"] + 100_000
    after = read_episodes(run_dir)
    assert len(after["episode"]) > len(episodes["episode"])
    assert list(after["episode"]) == list(range(1, len(after["episode"]) + 1))
