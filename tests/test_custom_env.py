"""A user's own environment (`--game module:EnvId-v0 --env-kwargs key=value`), as the README shows it: it trains
through the command line, config.json keeps the game and its kwargs, `--eval` rebuilds the same environment, and a
module that does not import, kwargs the constructor refuses, or an environment that fails gymnasium's checker each
get one `error:` line. The environments are tests/custom_envs.py's."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import a3c
from conftest import REPO_ROOT, RUN_PY, cli_env, finish, run_cli, run_dirs, start_cli
from master_agent import launch

CORRIDOR = "tests.custom_envs:Corridor-v0"


@pytest.fixture(scope="module")
def corridor_run(tmp_path_factory) -> Path:
    """A short run of a 5-cell Corridor through run.py, with evaluation during training on (its own envs)."""
    cwd = tmp_path_factory.mktemp("corridor")
    result = run_cli(
        ["--game", CORRIDOR, "--env-kwargs", "length=5", "--max-steps", "700", "--workers", "1", "--eval-every", "320",
         "--eval-episodes", "2", "--runs-dir", "runs"],
        cwd=cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr and "warning" not in result.stderr, result.stderr
    (run_dir,) = run_dirs(cwd / "runs")
    return run_dir


@pytest.mark.e2e
def test_a_custom_game_trains_and_config_json_keeps_it_with_its_kwargs(corridor_run):
    saved = json.loads((corridor_run / "config.json").read_text())
    assert saved["config"]["game"] == CORRIDOR  # with its module: --eval, --resume and load_agent import it again
    assert saved["config"]["env_kwargs"] == {"length": 5}
    assert saved["game"]["env_kwargs"] == {"length": 5} and saved["game"]["observation_space"] == "Discrete"
    assert saved["observation_shape"] == [5]  # one-hot of the 5 cells: the kwargs reached the environment
    assert ":" not in corridor_run.name and corridor_run.name.startswith("Corridor-v0-")


@pytest.mark.e2e
def test_eval_rebuilds_the_same_environment(corridor_run):
    result = run_cli(["--eval", corridor_run, "--episodes", "2", "--greedy"], cwd=corridor_run.parent)
    assert result.returncode == 0, result.stderr
    assert f"({CORRIDOR}, MLPActorCritic" in result.stdout  # trained on 5 cells: 10 would not fit the network
    assert result.stdout.count("episode ") == 2


README_MARK = "<!-- custom-env-example: tests/test_custom_env.py runs this block -->"


@pytest.mark.e2e
def test_the_readme_environment_trains_and_plays_as_written(tmp_path):
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme[readme.index(README_MARK) :], re.S)[1]
    (tmp_path / "my_envs.py").write_text(block)
    env = {**cli_env(), "PYTHONPATH": str(tmp_path)}  # "or anywhere on PYTHONPATH"

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, str(RUN_PY), *args]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    trained = run("--game", "my_envs:GridWalk-v0", "--env-kwargs", "size=4", "--max-steps", "2000", "--workers", "1")
    assert trained.returncode == 0 and "warning" not in trained.stderr, trained.stderr  # the checker has nothing to say
    played = run("--eval", "runs/latest", "--greedy", "--episodes", "1")
    assert played.returncode == 0 and "my_envs:GridWalk-v0" in played.stdout, played.stderr
    assert json.loads((tmp_path / "runs" / "latest" / "config.json").read_text())["observation_shape"] == [8]


def test_the_python_api_takes_env_kwargs():
    config = a3c.make_config(CORRIDOR, env_kwargs={"length": 4}, eval_every=0)
    assert config.game == CORRIDOR and config.env_kwargs == {"length": 4}
    assert config.env_impl == "gymnasium"
    with pytest.raises(a3c.SettingsError, match="with env kwargs length=1: ValueError"):
        a3c.make_config(CORRIDOR, env_kwargs={"length": 1})


def test_kwargs_are_kept_as_json_reads_them_back():
    assert launch.check_env_kwargs({"shape": (2, 3)}) == {"shape": [2, 3]}  # what --eval and --resume will read
    with pytest.raises(launch.SettingsError, match="--env-kwargs c=.*as JSON"):
        launch.check_env_kwargs({"c": 1 + 2j})


@pytest.mark.parametrize(
    "token, parsed",
    [
        ("length=5", ("length", 5)),
        ("ratio=0.5", ("ratio", 0.5)),
        ("slippery=false", ("slippery", False)),  # JSON
        ("slippery=False", ("slippery", False)),  # Python
        ("goal=null", ("goal", None)),
        ("size=[2, 3]", ("size", [2, 3])),
        ("size=(2, 3)", ("size", (2, 3))),
        ("map_name=8x8", ("map_name", "8x8")),  # neither: the text itself
        ('name="a b"', ("name", "a b")),
        ("empty=", ("empty", "")),
    ],
)
def test_env_kwargs_values_are_read_as_json_then_python_then_text(token, parsed):
    import run

    assert run.env_kwarg(token) == parsed


def test_an_env_kwargs_token_without_a_value_is_refused():
    import run

    with pytest.raises(argparse.ArgumentTypeError, match="expected KEY=VALUE, got 'length'"):
        run.env_kwarg("length")


def test_checker_warnings_of_a_users_env_are_shown_once_and_gymnasiums_own_never(capsys):
    import gymnasium as gym
    import numpy as np

    unbounded = {"observation_space": gym.spaces.Box(-np.inf, np.inf, (3,), np.float32)}
    launch.game_spec("tests.custom_envs:Echo-v0", unbounded)
    launch.game_spec("tests.custom_envs:Echo-v0", unbounded)  # a3c.train(make_config(...)) resolves it twice
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith("warning: gymnasium's environment checker on 'tests.") for line in lines)
    assert len(lines) == len(set(lines)) and any("-infinity" in line for line in lines)
    launch.game_spec("CartPole-v1")  # its bounds are infinite too, by design: nothing to tell the user
    assert capsys.readouterr().err == ""


# id: (arguments, what the one line must say)
BAD = {
    "module-does-not-import": (
        ["--game", "tests.broken_env_module:Anything-v0"],
        "error: cannot import module 'tests.broken_env_module' for game 'tests.broken_env_module:Anything-v0': "
        "ModuleNotFoundError: No module named 'a_package_this_environment_needs_but_nobody_installed'",
    ),
    "id-the-module-does-not-register": (
        ["--game", "tests.custom_envs:Coridor-v0"],
        "error: unknown game 'tests.custom_envs:Coridor-v0'; did you mean: tests.custom_envs:Corridor-v0",
    ),
    "kwargs-the-constructor-does-not-take": (
        ["--game", CORRIDOR, "--env-kwargs", "lenght=5"],
        f"error: cannot create '{CORRIDOR}' with env kwargs lenght=5: TypeError: Corridor.__init__() got an "
        "unexpected keyword argument 'lenght'",
    ),
    "kwargs-the-constructor-refuses": (
        ["--game", CORRIDOR, "--env-kwargs", "length=1"],
        f"error: cannot create '{CORRIDOR}' with env kwargs length=1: ValueError: a corridor needs at least 2 cells",
    ),
    "reset-of-the-old-api": (
        ["--game", "tests.custom_envs:Broken-v0", "--env-kwargs", "fault=reset_not_a_tuple"],
        "error: 'tests.custom_envs:Broken-v0' fails gymnasium's environment checker: The result returned by "
        "`env.reset()` was not a tuple",
    ),
    "observation-outside-its-space": (
        ["--game", "tests.custom_envs:Broken-v0", "--env-kwargs", "fault=outside_the_space"],
        "fails gymnasium's environment checker: The first element returned by `env.reset()` is not within the "
        "observation space",
    ),
    "step-of-the-old-api": (
        ["--game", "tests.custom_envs:Broken-v0", "--env-kwargs", "fault=four_values"],
        "fails gymnasium's environment checker: ValueError: not enough values to unpack (expected 5, got 4) (the "
        "checker warned: Core environment is written in old step API",
    ),
    "kwargs-token-without-a-value": (["--game", CORRIDOR, "--env-kwargs", "length"], "expected KEY=VALUE"),
    "kwargs-given-twice": (["--game", CORRIDOR, "--env-kwargs", "length=3", "length=4"], "'length' is given twice"),
    "kwargs-for-the-tensorflow-port": (
        ["--game", "CartPole-v1", "--env-impl", "tf", "--env-kwargs", "max_episode_steps=100"],
        "--env-impl tf: the TensorFlow port of 'CartPole-v1' takes no --env-kwargs",
    ),
    "kwargs-with-eval": (["--eval", "RUNS", "--env-kwargs", "length=3"], "--env-kwargs applies only with --game"),
}


@pytest.fixture(scope="module")
def bad_results(tmp_path_factory):
    """All cases at once, two processes at a time (none loads TensorFlow: all fail before it)."""
    pending, running, results = list(BAD.items()), [], {}
    while pending or running:
        while pending and len(running) < 2:
            case, (args, _) = pending.pop(0)
            cwd = tmp_path_factory.mktemp(case)
            args = [str(cwd / "runs") if a == "RUNS" else a for a in args]
            if "--game" in args:
                args += ["--runs-dir", str(cwd / "runs")]
            running.append((case, cwd, start_cli(args, cwd)))
        case, cwd, proc = running.pop(0)
        results[case] = (finish(proc, timeout=120), cwd)
    return results


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_custom_game_gets_one_error_line_and_exit_status_2(bad_results, case):
    result, cwd = bad_results[case]
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 2, output
    assert result.stdout == "" and result.stderr.count("\n") == 1, output  # one line, nothing else
    assert result.stderr.startswith("error: ") and BAD[case][1] in result.stderr, output
    assert not (cwd / "runs").exists()  # nothing written
