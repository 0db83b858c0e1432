"""Bad input on the command line: one clear `error:` line on stderr, exit status 2, nothing written.

Each case is a real `python run.py ...` in its own directory. The processes run a few at a time
(all but the network-shape check of --resume are caught before TensorFlow loads) and each test checks its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from conftest import finish, start_cli

EPISODES_HEADER_ROW = "episode,worker,return,length,global_step,seconds\n1,0,9,9,80,0.100\n"

# id: (arguments, a phrase the message must contain). RUNS is the runs dir, NOWHERE a missing dir,
# EMPTY an existing dir without episodes.csv, FOREIGN a dir whose episodes.csv is something else, GOOD a
# dir with a valid episodes.csv, ARUN a real finished run, DAMAGED that run with a garbage checkpoint,
# OTHERGAME that run with its config claiming another game, CORRUPT a run whose episodes.csv has a
# damaged line, AFILE a regular file.
CASES = {
    "no-mode": (["--runs-dir", "RUNS"], "--game"),
    "unknown-flag": (["--game", "CartPole-v1", "--bogus", "--runs-dir", "RUNS"], "--bogus"),
    "unknown-game": (["--game", "CartPole-v9", "--runs-dir", "RUNS"], "did you mean: CartPole-v1"),
    "unsupported-actions": (
        ["--game", "tests.custom_envs:Echo-v0", "--env-kwargs", "actions=tuple", "--runs-dir", "RUNS"],
        "has a Tuple action space; supported: Discrete, Box",
    ),
    "cnn-lstm-on-vector-game": (["--game", "CartPole-v1", "--cnn-lstm", "--runs-dir", "RUNS"], "--cnn-lstm"),
    "workers-0": (["--game", "CartPole-v1", "--workers", "0", "--runs-dir", "RUNS"], "--workers"),
    "workers-not-int": (["--game", "CartPole-v1", "--workers", "two", "--runs-dir", "RUNS"], "two"),
    "envs-per-worker-0": (
        ["--game", "CartPole-v1", "--envs-per-worker", "0", "--runs-dir", "RUNS"],
        "--envs-per-worker",
    ),
    "max-steps-negative": (["--game", "CartPole-v1", "--max-steps", "-5", "--runs-dir", "RUNS"], "--max-steps"),
    "max-episodes-0": (["--game", "CartPole-v1", "--max-episodes", "0", "--runs-dir", "RUNS"], "--max-episodes"),
    "max-seconds-inf": (["--game", "CartPole-v1", "--max-seconds", "inf", "--runs-dir", "RUNS"], "--max-seconds"),
    "lr-0": (["--game", "CartPole-v1", "--lr", "0", "--runs-dir", "RUNS"], "--lr"),
    "lr-nan": (["--game", "CartPole-v1", "--lr", "nan", "--runs-dir", "RUNS"], "--lr"),
    "lr-not-a-number": (["--game", "CartPole-v1", "--lr", "abc", "--runs-dir", "RUNS"], "abc"),
    "gamma-above-1": (["--game", "CartPole-v1", "--gamma", "1.5", "--runs-dir", "RUNS"], "--gamma"),
    "t-max-0": (["--game", "CartPole-v1", "--t-max", "0", "--runs-dir", "RUNS"], "--t-max"),
    "entropy-beta-negative": (
        ["--game", "CartPole-v1", "--entropy-beta", "-1", "--runs-dir", "RUNS"],
        "--entropy-beta",
    ),
    "target-reward-nan": (["--game", "CartPole-v1", "--target-reward", "nan", "--runs-dir", "RUNS"], "--target-reward"),
    "seed-negative": (["--game", "CartPole-v1", "--seed", "-1", "--runs-dir", "RUNS"], "--seed"),
    # keras.utils.set_random_seed takes 0 .. 2**32 - 1: say so, instead of NumPy's traceback.
    "seed-beyond-2-to-the-32": (
        ["--game", "CartPole-v1", "--seed", "99999999999999999999", "--runs-dir", "RUNS"],
        "--seed: must be between 0 and 4294967295",
    ),
    # Rollouts that cannot fit in memory are refused before anything allocates them (it used to hang).
    "t-max-beyond-memory": (
        ["--game", "CartPole-v1", "--t-max", "100000000", "--workers", "2", "--runs-dir", "RUNS"],
        "GiB of memory; this machine has",
    ),
    "life-loss-without-lives": (
        ["--game", "CartPole-v1", "--terminal-on-life-loss", "--runs-dir", "RUNS"],
        "--terminal-on-life-loss applies only to Atari games, which have lives; CartPole-v1 has none",
    ),
    "t-max-beyond-memory-atari": (
        ["--game", "Pong", "--no-cnn-lstm", "--t-max", "10000000", "--workers", "2", "--runs-dir", "RUNS"],
        "x 28,240 bytes a step would need",
    ),  # the CNN's 4 stacked uint8 84x84 frames + 16 bytes (Pong's preset turns the LSTM on: one frame)
    # The in-graph CartPole update unrolls t_max steps when it compiles: a long one would take minutes.
    "t-max-too-long-for-the-graph": (
        ["--game", "CartPole-v1", "--t-max", "1000", "--runs-dir", "RUNS"],
        "--env-impl gymnasium for longer rollouts",
    ),
    "checkpoint-every-0": (
        ["--game", "CartPole-v1", "--checkpoint-every", "0", "--runs-dir", "RUNS"],
        "--checkpoint-every",
    ),
    "env-impl-tf-without-a-port": (
        ["--game", "Acrobot-v1", "--env-impl", "tf", "--runs-dir", "RUNS"],
        "'Acrobot-v1' has no TensorFlow port",
    ),
    "env-impl-unknown": (["--game", "CartPole-v1", "--env-impl", "jax", "--runs-dir", "RUNS"], "--env-impl"),
    "unknown-backend": (["--game", "CartPole-v1", "--backend", "mpi", "--runs-dir", "RUNS"], "--backend"),
    "ray-address-without-ray-backend": (
        ["--game", "CartPole-v1", "--ray-address", "auto", "--runs-dir", "RUNS"],
        "--ray-address applies only with --backend ray",
    ),
    "ray-address-malformed": (
        ["--game", "CartPole-v1", "--backend", "ray", "--ray-address", "headnode", "--runs-dir", "RUNS"],
        "must be 'auto' or HOST:PORT",
    ),
    "ray-address-nobody-there": (
        ["--game", "CartPole-v1", "--backend", "ray", "--ray-address", "127.0.0.1:1", "--runs-dir", "RUNS"],
        "no Ray cluster answers there",
    ),
    "runs-dir-is-a-file": (["--game", "CartPole-v1", "--runs-dir", "AFILE/runs"], "not writable"),
    "game-and-plot": (["--game", "CartPole-v1", "--plot", "EMPTY", "--runs-dir", "RUNS"], "--plot"),
    "plot-missing-dir": (["--plot", "NOWHERE"], "NOWHERE"),
    "plot-dir-without-episodes": (["--plot", "EMPTY"], "EMPTY"),
    "plot-foreign-csv": (["--plot", "FOREIGN"], "FOREIGN"),
    "plot-corrupt-csv-line": (["--plot", "CORRUPT"], "damaged"),
    "plot-out-not-png": (["--plot", "GOOD", "--out", "curves.jpg"], ".png"),
    "plot-out-in-missing-dir": (["--plot", "GOOD", "--out", "NOWHERE/curves.png"], "does not exist"),
    "resume-missing-dir": (["--resume", "NOWHERE"], "NOWHERE"),
    "resume-foreign-dir": (["--resume", "EMPTY"], "not a run directory"),
    "resume-damaged-checkpoint": (["--resume", "DAMAGED"], "checkpoint.npz' is damaged ("),
    "resume-checkpoint-of-another-game": (["--resume", "OTHERGAME"], "checkpoint is for 'CartPole-v1'"),
    "resume-checkpoint-of-another-network": (["--resume", "OTHERNET"], "does not fit the MLPActorCritic"),
    "resume-corrupt-episodes": (["--resume", "CORRUPT"], "damaged"),
    "resume-changes-lr": (["--resume", "ARUN", "--lr", "0.1"], "--lr cannot change"),
    "resume-changes-game": (["--resume", "ARUN", "--game", "Acrobot-v1"], "--game"),
    "resume-bad-budget": (["--resume", "ARUN", "--max-steps", "0"], "--max-steps"),
    "resume-changes-env-impl": (["--resume", "ARUN", "--env-impl", "gymnasium"], "--env-impl cannot change"),
    "resume-changes-lr-schedule": (
        ["--resume", "ARUN", "--lr-schedule", "linear"],
        "--lr-schedule cannot change",
    ),
    # Settings files (--config, presets): the file, the key and what is allowed, as the flags say it.
    "config-unknown-key": (
        ["--game", "CartPole-v1", "--config", "CFGKEY", "--runs-dir", "RUNS"],
        "settings file 'CFGKEY': unknown setting 'learning_rate' (known: game, env_kwargs,",
    ),
    "config-flag-spelling": (
        ["--game", "CartPole-v1", "--config", "CFGDASH", "--runs-dir", "RUNS"],
        "unknown setting 't-max'; did you mean 't_max'?",
    ),
    "config-wrong-type": (
        ["--game", "CartPole-v1", "--config", "CFGTYPE", "--runs-dir", "RUNS"],
        "settings file 'CFGTYPE': t_max: expected an integer, got 'five'",
    ),
    "config-out-of-range": (
        ["--game", "CartPole-v1", "--config", "CFGRANGE", "--runs-dir", "RUNS"],
        "settings file 'CFGRANGE': gamma: must be in (0, 1], got 1.5",
    ),
    "config-bad-choice": (
        ["--game", "CartPole-v1", "--config", "CFGCHOICE", "--runs-dir", "RUNS"],
        "settings file 'CFGCHOICE': lr_schedule: must be one of constant, linear, got 'cosine'",
    ),
    "config-not-yaml": (
        ["--game", "CartPole-v1", "--config", "CFGSYNTAX", "--runs-dir", "RUNS"],
        "settings file 'CFGSYNTAX' is not valid YAML at line",
    ),
    "config-not-a-mapping": (
        ["--game", "CartPole-v1", "--config", "CFGLIST", "--runs-dir", "RUNS"],
        "must be a mapping of settings",
    ),
    "config-missing": (["--game", "CartPole-v1", "--config", "NOWHERE.yaml", "--runs-dir", "RUNS"], "cannot read it"),
    "config-without-game": (["--config", "CFGNOGAME", "--runs-dir", "RUNS"], "no game: give --game"),
    "config-with-plot": (["--plot", "GOOD", "--config", "CFGRANGE"], "--config applies only to a new run"),
    "lr-schedule-without-budget": (
        ["--game", "CartPole-v1", "--lr-schedule", "linear", "--runs-dir", "RUNS"],
        "--lr-schedule linear runs over the step budget, and this run has none: give --max-steps N",
    ),
    "entropy-final-without-schedule": (
        ["--game", "CartPole-v1", "--entropy-beta-final", "0.001", "--runs-dir", "RUNS"],
        "--entropy-beta-final applies only with --entropy-schedule linear",
    ),
    "trials-without-tune": (["--game", "CartPole-v1", "--trials", "3", "--runs-dir", "RUNS"], "--trials applies only"),
    "tune-unknown-param": (
        ["--tune", "--game", "CartPole-v1", "--tune-params", "lr,bogus", "--runs-dir", "RUNS"],
        "--tune-params: unknown setting 'bogus'",
    ),
    "tune-param-also-given": (
        ["--tune", "--game", "CartPole-v1", "--lr", "0.01", "--runs-dir", "RUNS"],
        "--lr is searched (--tune-params); do not also give it",
    ),
    "tune-with-resume": (["--resume", "ARUN", "--tune"], "--tune searches settings for a new game's runs"),
}

# Settings files for the --config cases: name -> text.
CONFIG_FILES = {
    "CFGKEY": "learning_rate: 0.001\n",
    "CFGDASH": "t-max: 8\n",
    "CFGTYPE": "t_max: five\n",
    "CFGRANGE": "gamma: 1.5\n",
    "CFGCHOICE": "lr_schedule: cosine\n",
    "CFGSYNTAX": "lr: [0.001, 0.002\ngamma: 0.9\n",
    "CFGLIST": "- lr\n- gamma\n",
    "CFGNOGAME": "lr: 0.002\n",
}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A real, tiny CartPole run to resume or damage (made once for the module)."""
    from conftest import run_cli, run_dirs

    runs = tmp_path_factory.mktemp("real_run")
    result = run_cli(["--game", "CartPole-v1", "--max-steps", "1000", "--workers", "1", "--runs-dir", runs], cwd=runs)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(runs)
    return run_dir


PARALLEL = max(2, os.cpu_count() or 1)  # processes at a time: more only thrash TensorFlow's start-up


def prepare(cwd: Path, finished_run: Path) -> dict[str, Path]:
    import json
    import shutil

    names = (
        "RUNS",
        "NOWHERE",
        "EMPTY",
        "FOREIGN",
        "GOOD",
        "ARUN",
        "DAMAGED",
        "OTHERGAME",
        "OTHERNET",
        "CORRUPT",
        "AFILE",
    )
    dirs = {name: cwd / name.lower() for name in names}
    for name, text in CONFIG_FILES.items():
        dirs[name] = cwd / f"{name.lower()}.yaml"
        dirs[name].write_text(text)
    dirs["EMPTY"].mkdir()
    dirs["FOREIGN"].mkdir()
    (dirs["FOREIGN"] / "episodes.csv").write_text("name,score\nx,1\n")
    dirs["GOOD"].mkdir()
    (dirs["GOOD"] / "episodes.csv").write_text(EPISODES_HEADER_ROW)
    for name in ("ARUN", "DAMAGED", "OTHERGAME", "OTHERNET", "CORRUPT"):
        shutil.copytree(finished_run, dirs[name])
    # Same game, weights of another network: every layer one unit wider.
    from rundir import read_checkpoint, save_checkpoint

    weights, optimizer_state, state = read_checkpoint(dirs["OTHERNET"])
    wider = [np.zeros(tuple(n + 1 for n in w.shape), w.dtype) for w in weights]
    save_checkpoint(dirs["OTHERNET"], wider, optimizer_state, state)
    (dirs["DAMAGED"] / "checkpoint" / "checkpoint.npz").write_bytes(b"PK\x03\x04 not really a zip")
    config_path = dirs["OTHERGAME"] / "config.json"
    config = json.loads(config_path.read_text())
    config["config"]["game"] = "Acrobot-v1"
    config_path.write_text(json.dumps(config))
    with (dirs["CORRUPT"] / "episodes.csv").open("a") as f:
        f.write("999,0,not-a-number,1,1,1.0\n")
    dirs["AFILE"].write_text("a regular file, not a directory\n")
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
def cli_results(tmp_path_factory, finished_run):
    pending = list(CASES.items())
    running, results = [], {}
    while pending or running:
        while pending and len(running) < PARALLEL:
            case, (args, _) = pending.pop(0)
            cwd = tmp_path_factory.mktemp(case)
            dirs = prepare(cwd, finished_run)
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
