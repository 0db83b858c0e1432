"""Learning-rate and entropy schedules: the values by hand, the optimizer really following them, and their position
surviving --resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_cli, run_dirs
from master_agent.launch import make_config
from master_agent.schedules import Schedules, linear


def test_linear_runs_from_start_to_end_over_the_span_then_holds():
    assert linear(1e-3, 0.0, 0, 1000) == 1e-3
    assert linear(1e-3, 0.0, 250, 1000) == pytest.approx(7.5e-4)
    assert linear(1e-3, 0.0, 1000, 1000) == 0.0
    assert linear(1e-3, 0.0, 5000, 1000) == 0.0
    assert linear(0.01, 0.001, 500, 1000) == pytest.approx(0.0055)


def test_schedules_of_a_config():
    config, _ = make_config(
        "CartPole-v1",
        max_steps=10_000,
        lr=2e-3,
        lr_schedule="linear",
        entropy_beta=0.02,
        entropy_schedule="linear",
        entropy_beta_final=0.002,
    )
    schedules = Schedules.of(config)
    assert config.schedule_steps == 10_000
    assert schedules.lr_at(2_500) == pytest.approx(1.5e-3)
    assert schedules.entropy_beta_at(5_000) == pytest.approx(0.011)
    constant = Schedules.of(make_config("CartPole-v1")[0])
    assert not (constant.lr_linear or constant.entropy_linear)
    assert constant.lr_at(10**9) == 1e-3 and constant.entropy_beta_at(10**9) == 0.01


def learning_rates(run_dir) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of optim/learning_rate in a run's TensorBoard events, in step order."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"tensors": 0, "scalars": 0})
    events.Reload()
    points = events.Tensors("optim/learning_rate")
    steps = np.array([p.step for p in points])
    values = np.array([float(np.asarray(tf_value(p))) for p in points])
    order = np.argsort(steps, kind="stable")
    return steps[order], values[order]


def tf_value(point):
    import tensorflow as tf

    return tf.make_ndarray(point.tensor_proto)


def optimizer_learning_rate(run_dir) -> tuple[int, float]:
    """(global step, the Adam learning rate) as the run's last checkpoint saved them."""
    from rundir import read_checkpoint

    _, optimizer_state, state = read_checkpoint(run_dir)
    return state["global_step"], float(optimizer_state[1])  # Keras' Adam: iteration, learning_rate, slots...


def test_the_optimizer_follows_the_schedule_and_a_resume_goes_on_from_its_position(tmp_path):
    runs, span, lr = tmp_path / "runs", 200_000, 1e-3
    # One worker with 4 environments: an update is 20 steps, and every 50th logs its learning rate.
    common = ["--workers", "1", "--checkpoint-every", "600"]
    first = run_cli(
        ["--game", "CartPole-v1", "--max-steps", span, "--max-episodes", 200, "--lr-schedule", "linear",
         "--envs-per-worker", "4", "--runs-dir", runs, *common],
        cwd=tmp_path,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    (run_dir,) = run_dirs(runs)
    assert json.loads((run_dir / "config.json").read_text())["config"]["schedule_steps"] == span
    # The rate the optimizer last applied: the schedule at the step count before the last update's 20 steps.
    step, rate = optimizer_learning_rate(run_dir)
    assert 0 < step < span
    assert rate == pytest.approx(lr * (1 - step / span), abs=lr * 25 / span)
    steps, values = learning_rates(run_dir)
    assert len(steps) >= 3 and np.allclose(values, lr * (1 - steps / span), rtol=1e-5)

    second = run_cli(["--resume", run_dir, "--max-episodes", 400, *common], cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    step2, rate2 = optimizer_learning_rate(run_dir)
    assert step2 > step
    assert rate2 == pytest.approx(lr * (1 - step2 / span), abs=lr * 25 / span)  # not restarted from lr
    steps2, _ = learning_rates(run_dir)
    assert (steps2 > step).any()  # the resumed run logged on from where the first stopped
