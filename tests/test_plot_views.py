"""`--plot`: several runs overlaid, x axis by episodes / steps / time, smoothing, per-worker view, runs/latest.

Through `run.main` in-process (the same code path as the command line, without a process start per case).
"""

from __future__ import annotations

import json
import signal

import numpy as np
import pytest

from conftest import is_png
from plots import draw_reward_curves, read_target_reward
from rundir import EpisodeLog, read_episodes, update_latest_link


def make_run(runs_dir, name, seed, episodes=60, workers=2, target=None):
    run_dir = runs_dir / name
    run_dir.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    log = EpisodeLog(run_dir / "episodes.csv")
    step, seconds = 0, 0.0
    for episode in range(1, episodes + 1):
        length = int(rng.integers(10, 60)) + episode
        step += length
        seconds += length / 1000
        log.write(episode, episode % workers, float(length), length, step, seconds)
    log.close()
    if target is not None:
        (run_dir / "config.json").write_text(json.dumps({"config": {"game": "CartPole-v1", "target_reward": target}}))
    return run_dir


@pytest.fixture
def cli(monkeypatch, tmp_path, capsys):
    import run

    monkeypatch.setattr(signal, "signal", lambda *args: None)  # run.main's SIGTERM handler stays out of pytest
    monkeypatch.chdir(tmp_path)

    def call(*args):
        code = run.main([str(a) for a in args])
        return code, capsys.readouterr()

    return call


@pytest.fixture
def two_runs(tmp_path):
    runs = tmp_path / "runs"
    return (
        make_run(runs, "CartPole-v1-a", seed=0, target=475.0),
        make_run(runs, "CartPole-v1-b", seed=1, workers=3, target=475.0),
    )


@pytest.mark.parametrize(
    "extra",
    [[], ["--x", "steps"], ["--x", "time"], ["--window", "5"], ["--x", "steps", "--window", "1"]],
    ids=["episodes", "steps", "time", "window-5", "steps-window-1"],
)
def test_two_runs_overlaid(cli, two_runs, tmp_path, extra):
    code, out = cli("--plot", *two_runs, "--out", tmp_path / "compare.png", *extra)
    assert code == 0, out.err
    assert is_png(tmp_path / "compare.png")
    assert out.out.strip() == f"wrote {tmp_path / 'compare.png'}"
    assert out.err == ""


def test_default_output_is_inside_the_first_run(cli, two_runs):
    code, out = cli("--plot", *two_runs)
    assert code == 0, out.err
    assert is_png(two_runs[0] / "rewards-compare.png")
    assert not (two_runs[1] / "rewards-compare.png").exists()


def test_per_worker_view_of_one_run(cli, two_runs, tmp_path):
    code, out = cli("--plot", two_runs[1], "--per-worker", "--x", "time", "--out", tmp_path / "workers.png")
    assert code == 0, out.err
    assert is_png(tmp_path / "workers.png")


def test_per_worker_takes_one_run(cli, two_runs, tmp_path):
    code, out = cli("--plot", *two_runs, "--per-worker", "--out", tmp_path / "w.png")
    assert code == 2
    assert out.err.startswith("error: --per-worker") and len(out.err.splitlines()) == 1
    assert not (tmp_path / "w.png").exists()


@pytest.mark.parametrize("args, phrase", [(["--x", "hours"], "--x"), (["--window", "0"], "--window")])
def test_bad_plot_flags(cli, two_runs, args, phrase):
    code, out = cli("--plot", two_runs[0], *args)
    assert code == 2 and out.err.startswith("error: ") and phrase in out.err and len(out.err.splitlines()) == 1


def test_plot_follows_runs_latest(cli, two_runs, tmp_path):
    update_latest_link(two_runs[1])
    code, out = cli("--plot", tmp_path / "runs" / "latest")
    assert code == 0, out.err
    assert is_png(two_runs[1] / "rewards-compare.png")  # inside the run latest points to


def test_show_without_a_display_writes_the_png_and_says_so(cli, two_runs, tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    code, out = cli("--plot", two_runs[0], "--show", "--out", tmp_path / "s.png")
    assert code == 0 and is_png(tmp_path / "s.png")
    assert "no display" in out.err


def test_target_comes_from_each_runs_config(two_runs, tmp_path):
    assert read_target_reward(two_runs[0]) == 475.0
    assert read_target_reward(tmp_path) is None  # no config.json
    (tmp_path / "config.json").write_text("{not json")
    assert read_target_reward(tmp_path) is None


def test_draw_reward_curves_keyword_use_as_the_master_calls_it(two_runs, tmp_path):
    episodes = read_episodes(two_runs[0])
    out = draw_reward_curves([("CartPole-v1", episodes)], tmp_path / "rewards.png", window=100, target=475.0)
    assert is_png(out)
    out = draw_reward_curves(
        [("a", episodes), ("b", read_episodes(two_runs[1]))], tmp_path / "mixed.png", target=[475.0, None], x="time"
    )  # one run without a target
    assert is_png(out)
    with pytest.raises(ValueError, match="x must be"):
        draw_reward_curves([("a", episodes)], tmp_path / "bad.png", x="minutes")
