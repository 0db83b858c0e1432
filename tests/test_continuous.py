"""A continuous-control run end to end (Pendulum: Box actions, a Gaussian policy) with observation and reward
normalization: what it saves, and --eval, --resume, export and the Python API acting with the same statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import run_cli, run_dirs

STEPS = 24_000


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("pendulum")
    args = ["--game", "Pendulum-v1", "--max-steps", STEPS, "--normalize-obs", "--normalize-reward",
            "--eval-every", 8_000, "--eval-episodes", 2, "--workers", 2, "--runs-dir", "runs"]  # fmt: skip
    result = run_cli(args, cwd)
    assert result.returncode == 0, result.stderr
    (run,) = run_dirs(cwd / "runs")
    return run


def checkpoint_state(path) -> dict:
    with np.load(path) as data:
        return json.loads(str(data["state"]))


def test_config_records_the_gaussian_policy_and_normalization(run_dir):
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["distribution"]["class_name"] == "DiagGaussian"
    assert saved["distribution"]["low"] == [-2.0] and saved["distribution"]["high"] == [2.0]
    hp = saved["config"]["hyperparams"]
    assert hp["normalize_obs"] and hp["normalize_reward"] and hp["log_std"] == "state-independent"
    assert saved["config"]["env_impl"] == "gymnasium"


def test_checkpoints_hold_the_shared_statistics_of_every_observation(run_dir):
    state = checkpoint_state(run_dir / "checkpoint" / "checkpoint.npz")
    stats = state["normalizer"]
    # Every worker's rollouts were merged: at least one observation per env step (reset steps add a few).
    assert state["global_step"] >= STEPS and stats["obs"]["count"] >= state["global_step"]
    # Pendulum's observation is (cos, sin, angular velocity): the first two within [-1, 1], hence var <= 1.
    assert all(0 < v <= 1.0 for v in stats["obs"]["var"][:2]) and stats["obs"]["var"][2] > 0.1
    assert stats["returns"]["count"] > 0 and stats["returns"]["var"] > 0
    best = checkpoint_state(run_dir / "best" / "checkpoint.npz")
    assert best["normalizer"]["obs"]["count"] <= stats["obs"]["count"]


def test_loaded_agent_acts_with_the_frozen_statistics_inside_the_bounds(run_dir):
    import a3c

    agent = a3c.load_agent(run_dir)
    stats = checkpoint_state(run_dir / "checkpoint" / "checkpoint.npz")["normalizer"]["obs"]
    np.testing.assert_allclose(agent.normalizer.obs_rms.mean, stats["mean"])
    obs = np.array([1.0, 0.0, 7.5], np.float32)
    action, _ = agent.act(obs)
    assert action.shape == (1,) and -2.0 <= action[0] <= 2.0
    # Greedy = the Gaussian's mean, computed on the normalized observation.
    params, values = agent.model(agent.normalizer.observations(obs[None]))
    np.testing.assert_allclose(action, np.clip(params.numpy()[0, :1], -2.0, 2.0), rtol=1e-5, atol=1e-6)
    # forward: the same network on the raw observation (normalized inside), with the critic's value.
    forward_params, forward_values, _ = agent.forward(obs[None])
    np.testing.assert_allclose(forward_params, params.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(forward_values, values.numpy(), rtol=1e-5, atol=1e-6)


def test_eval_and_export_play_with_the_saved_statistics(run_dir, tmp_path):
    import a3c

    gif = tmp_path / "pendulum.gif"
    args = [
        "--eval",
        run_dir,
        "--episodes",
        2,
        "--greedy",
        "--record",
        gif,
        "--record-every",
        4,
        "--record-scale",
        0.25,
    ]
    result = run_cli(args, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "mean" in result.stdout
    assert gif.read_bytes()[:6] == b"GIF89a"  # the first episode, drawn by gymnasium's Pendulum renderer
    out = a3c.export(run_dir, tmp_path / "exported")
    import tensorflow as tf

    serve = tf.saved_model.load(str(out)).signatures["serving_default"]
    obs = np.random.default_rng(0).uniform([-1, -1, -8], [1, 1, 8], (5, 3)).astype(np.float32)
    exported = serve(observations=tf.constant(obs))["greedy_action"].numpy()
    agent = a3c.load_agent(run_dir)
    np.testing.assert_allclose(exported, agent.act_batch(obs, greedy=True)[0], rtol=1e-4, atol=1e-5)


def test_resume_goes_on_from_the_saved_statistics(run_dir, tmp_path):
    before = checkpoint_state(run_dir / "checkpoint" / "checkpoint.npz")
    result = run_cli(["--resume", run_dir, "--max-steps", STEPS + 8_000], tmp_path)
    assert result.returncode == 0, result.stderr
    after = checkpoint_state(run_dir / "checkpoint" / "checkpoint.npz")
    new_steps = after["global_step"] - before["global_step"]
    assert new_steps > 0
    # Counts carried over, not restarted: the old count plus (at least) one observation per new step.
    assert after["normalizer"]["obs"]["count"] >= before["normalizer"]["obs"]["count"] + new_steps


@pytest.mark.parametrize("actions", ["box", "multi_discrete", "multi_binary"])
def test_every_action_space_trains_evaluates_and_exports(actions, tmp_path):
    """Echo-v0 raises on an action outside its space: training (sampled actions), evaluation during training and
    --eval (greedy, the distribution's mode) must all hand it valid ones; the export's greedy action as well."""
    args = ["--game", "tests.custom_envs:Echo-v0", "--env-kwargs", f"actions={actions}", "--max-steps", 3_000,
            "--eval-every", 1_000, "--eval-episodes", 2, "--workers", 2, "--envs-per-worker", 4,
            "--runs-dir", "runs"]  # fmt: skip
    result = run_cli(args, tmp_path)
    assert result.returncode == 0, result.stderr
    (run,) = run_dirs(tmp_path / "runs")
    assert len((run / "eval.csv").read_text().splitlines()) >= 2  # a header and at least one evaluation
    result = run_cli(["--eval", run, "--episodes", 1, "--greedy"], tmp_path)
    assert result.returncode == 0, result.stderr
    result = run_cli(["--export", run, tmp_path / "exported"], tmp_path)
    assert result.returncode == 0, result.stderr
    import tensorflow as tf

    from tests.custom_envs import ACTION_SPACES

    serve = tf.saved_model.load(str(tmp_path / "exported")).signatures["serving_default"]
    greedy = serve(observations=tf.zeros([4, 3], tf.float32))["greedy_action"].numpy()
    space = ACTION_SPACES[actions]
    assert all(space.contains(a.astype(space.dtype)) for a in greedy)
