"""The Python API (`a3c.py`): the README's example runs as written, and bad input raises one-line ValueErrors."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import a3c
from conftest import REPO_ROOT, run_dirs

EXAMPLE_MARK = "<!-- python-api-example: tests/test_api.py runs this block -->"


def readme_example() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    assert EXAMPLE_MARK in readme
    block = re.search(r"```python\n(.*?)```", readme[readme.index(EXAMPLE_MARK) :], re.S)
    return block.group(1)


@pytest.mark.e2e
def test_readme_python_example_runs_as_written(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-c", readme_example()], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(tmp_path / "runs")
    assert (run_dir / "best" / "checkpoint.npz").is_file() and (run_dir / "eval.csv").is_file()
    lines = result.stdout.strip().splitlines()
    assert lines[-2].startswith(f"True {run_dir.relative_to(tmp_path)}")  # solved, and where it was saved
    score = float(lines[-1].removeprefix("greedy score "))
    assert 1 <= score <= 500


def test_make_config_applies_the_games_defaults_and_the_given_settings():
    config = a3c.make_config("Acrobot-v1", lr=2e-3, eval_every=0, seed=3)
    assert (config.learning_rate, config.seed, config.eval_every) == (2e-3, 3, None)
    assert config.hyperparams.envs_per_worker == 64 and config.target_reward == -100
    assert a3c.make_config("Acrobot-v1").eval_every == 50_000  # the classic games' default period


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: a3c.make_config("NoSuchGame-v0"), "unknown game"),
        (lambda: a3c.make_config("CartPole-v1", learning_rate=1e-3), "unknown setting learning_rate (known: "),
        (lambda: a3c.make_config("CartPole-v1", target_on="eval", eval_every=0), "--target-on eval needs"),
        (lambda: a3c.load_agent("/nonexistent/run"), "no run directory at '/nonexistent/run'"),
        (lambda: a3c.resume("/nonexistent/run"), "no run directory at '/nonexistent/run'"),
    ],
)
def test_bad_input_raises_one_line_value_errors(call, message):
    with pytest.raises(a3c.BAD_INPUT) as caught:
        call()
    assert isinstance(caught.value, ValueError)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_train_checks_a_config_built_by_hand(tmp_path):
    import dataclasses

    config = dataclasses.replace(a3c.make_config("CartPole-v1"), target_on="eval", eval_every=None)
    with pytest.raises(a3c.SettingsError, match="--target-on eval needs evaluation during training"):
        a3c.train(config)
