"""Bad input on the command line: one clear `error:` line on stderr, exit status 2, nothing written.

Each case is a real `python run.py ...` in its own empty directory. The processes all start together
(one TensorFlow import each is most of their time) and each test checks its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import finish, start_cli

EPISODES_HEADER_ROW = "episode,worker,return,length,global_step,seconds\n1,0,9,9,80,0.100\n"

# id: (arguments, a phrase the message must contain). RUNS is the runs dir, NOWHERE a missing dir,
# EMPTY an existing dir without episodes.csv, FOREIGN a dir whose episodes.csv is something else.
CASES = {
    "unknown-game": (["--game", "CartPole-v9", "--runs-dir", "RUNS"], "did you mean: CartPole-v1"),
    "non-discrete-game": (["--game", "Pendulum-v1", "--runs-dir", "RUNS"], "Pendulum-v1"),
    "workers-0": (["--game", "CartPole-v1", "--workers", "0", "--runs-dir", "RUNS"], "--workers"),
    "max-steps-negative": (["--game", "CartPole-v1", "--max-steps", "-5", "--runs-dir", "RUNS"], "--max-steps"),
    "lr-0": (["--game", "CartPole-v1", "--lr", "0", "--runs-dir", "RUNS"], "--lr"),
    "lr-not-a-number": (["--game", "CartPole-v1", "--lr", "abc", "--runs-dir", "RUNS"], "abc"),
    "no-game-no-plot": (["--runs-dir", "RUNS"], "--game"),
    "plot-missing-dir": (["--plot", "NOWHERE"], "NOWHERE"),
    "plot-dir-without-episodes": (["--plot", "EMPTY"], "EMPTY"),
}

# More bad input, checked in-process through run.main (the same code path, without paying a
# TensorFlow start-up per case).
IN_PROCESS_CASES = {
    "gamma-above-1": (["--game", "CartPole-v1", "--gamma", "1.5", "--runs-dir", "RUNS"], "--gamma"),
    "entropy-beta-negative": (["--game", "CartPole-v1", "--entropy-beta", "-1", "--runs-dir", "RUNS"], "--entropy-beta"),
    "game-and-plot": (["--game", "CartPole-v1", "--plot", "EMPTY", "--runs-dir", "RUNS"], "--plot"),
    "plot-foreign-csv": (["--plot", "FOREIGN"], "FOREIGN"),
    "plot-out-not-png": (["--plot", "GOOD", "--out", "curves.jpg"], ".png"),
    "plot-out-in-missing-dir": (["--plot", "GOOD", "--out", "NOWHERE/curves.png"], "does not exist"),
}


PARALLEL = max(2, os.cpu_count() or 1)  # processes at a time: more only thrash TensorFlow's start-up


def prepare(cwd: Path) -> dict[str, Path]:
    dirs = {name: cwd / name.lower() for name in ("RUNS", "NOWHERE", "EMPTY", "FOREIGN", "GOOD")}
    dirs["EMPTY"].mkdir()
    dirs["FOREIGN"].mkdir()
    (dirs["FOREIGN"] / "episodes.csv").write_text("name,score\nx,1\n")
    dirs["GOOD"].mkdir()
    (dirs["GOOD"] / "episodes.csv").write_text(EPISODES_HEADER_ROW)
    return dirs


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>" for p in sorted(root.rglob("*"))}


def substitute(args, dirs):
    out = []
    for a in args:
        for name, path in dirs.items():
            a = a.replace(name, str(path))
        out.append(a)
    return out


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory):
    pending = list(CASES.items())
    running, results = [], {}
    while pending or running:
        while pending and len(running) < PARALLEL:
            case, (args, _) = pending.pop(0)
            cwd = tmp_path_factory.mktemp(case)
            dirs = prepare(cwd)
            before = snapshot(cwd)
            running.append((case, start_cli(substitute(args, dirs), cwd), cwd, dirs, before))
        case, proc, cwd, dirs, before = running.pop(0)
        results[case] = (finish(proc, timeout=240), cwd, dirs, before)
    return results


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_one_error_line_and_exit_status_2(cli_results, case):
    result, cwd, dirs, before = cli_results[case]
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 2, output
    assert "Traceback" not in result.stdout + result.stderr, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ") and len(lines[0]) > len("error: "), output
    assert substitute([CASES[case][1]], dirs)[0] in lines[0], output
    assert result.stdout == "", output
    # Nothing created or changed: no runs dir, no PNG, no file touched.
    assert not dirs["RUNS"].exists()
    assert snapshot(cwd) == before


@pytest.mark.parametrize("case", list(IN_PROCESS_CASES))
def test_bad_input_in_process(tmp_path, monkeypatch, capsys, case):
    import signal

    import run

    # run.main installs a SIGTERM handler; keep it out of the rest of the session.
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    dirs = prepare(tmp_path)
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    args, phrase = IN_PROCESS_CASES[case]
    assert run.main(substitute(args, dirs)) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured
    assert substitute([phrase], dirs)[0] in lines[0], captured
    assert captured.out == ""
    assert not dirs["RUNS"].exists()
    assert snapshot(tmp_path) == before
