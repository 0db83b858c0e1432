"""Observation and reward normalization (envs.normalize): the statistics, their sharing through the master, and
the saved run that evaluates with them frozen."""

import json
import math

import numpy as np
import pytest

from envs.normalize import CLIP, Moments, Normalizer, ReturnTracker, moments_of


def test_merged_rollout_moments_equal_the_statistics_of_all_samples():
    """Workers send each rollout's moments; merging them must give the mean and variance of everything seen."""
    rng = np.random.default_rng(0)
    batches = [rng.normal(3.0, 2.0, (n, 2)) for n in (5, 40, 17)]
    norm = Normalizer((2,), obs=True, reward=False)
    for batch in batches:
        norm.merge(Moments(obs=moments_of(batch), returns=None))
    everything = np.concatenate(batches)
    # RunningMeanStd starts from count 1e-4 at mean 0, var 1: a 1e-4 / 62 weight on its prior
    np.testing.assert_allclose(norm.obs_rms.mean, everything.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(norm.obs_rms.var, everything.var(axis=0), rtol=1e-4)


def test_observations_are_standardized_and_clipped_rewards_scaled_not_centred():
    norm = Normalizer((2,), obs=True, reward=True)
    norm.load_state(
        {
            "obs": {"mean": [1.0, -2.0], "var": [4.0, 0.25], "count": 10},
            "returns": {"mean": 5.0, "var": 9.0, "count": 3},
        }
    )
    obs = np.array([[3.0, -2.5], [1.0, 1000.0]])
    # (3 - 1) / 2 = 1; (-2.5 + 2) / 0.5 = -1; 1002 / 0.5 clipped to +10
    np.testing.assert_allclose(norm.observations(obs), [[1.0, -1.0], [0.0, CLIP]], rtol=1e-6)
    # divided by sqrt(9) = 3, the mean (5) not subtracted
    np.testing.assert_allclose(norm.rewards(np.array([3.0, -6.0])), [1.0, -2.0], rtol=1e-6)
    assert norm.observations(obs).dtype == np.float32


def test_normalization_off_leaves_data_alone_and_state_round_trips_through_json():
    off = Normalizer((3,), obs=False, reward=False)
    x = np.arange(6.0).reshape(2, 3)
    r = x[0]
    assert off.observations(x) is x and off.rewards(r) is r
    on = Normalizer((3,), obs=True, reward=True)
    on.merge(Moments(obs=moments_of(np.random.default_rng(1).normal(size=(9, 3))), returns=moments_of(np.ones(4))))
    again = Normalizer((3,), obs=True, reward=True)
    again.load_state(json.loads(json.dumps(on.state())))
    np.testing.assert_array_equal(again.observations(x), on.observations(x))
    with pytest.raises(ValueError, match="shape"):
        Normalizer((4,), obs=True, reward=False).load_state(on.state())


def test_discounted_returns_restart_where_an_episode_ends():
    tracker = ReturnTracker(num_envs=2, gamma=0.5)
    np.testing.assert_allclose(tracker.step(np.array([1.0, 2.0]), np.array([False, True])), [1.0, 2.0])
    # env 0: 1 * 0.5 + 4 = 4.5; env 1 ended: starts again from 4
    np.testing.assert_allclose(tracker.step(np.array([4.0, 4.0]), np.array([False, False])), [4.5, 4.0])


def test_a_worker_acts_on_normalized_observations_and_reports_raw_moments():
    """The rollout (what the loss sees) holds observations normalized with the pulled statistics; the moments sent
    back are of the raw observations, so the master's statistics are those of the game."""
    from envs import make_vector_env, resolve_game
    from models import build_model, make_distribution
    from worker import Hyperparams
    from worker.core import WorkerCore

    game = resolve_game("Pendulum-v1")
    hp = Hyperparams(t_max=4, envs_per_worker=3, normalize_obs=True, normalize_reward=True)
    env = make_vector_env(game, hp.envs_per_worker)
    model = build_model("mlp", (3,), make_distribution(game.action_space))
    shared = Normalizer((3,), obs=True, reward=True)
    shared.load_state({"obs": {"mean": [0.5, 0.0, 1.0], "var": [4.0, 1.0, 16.0], "count": 100}, "returns": None})
    core = WorkerCore(model, None, env, hp, seed=0, global_normalizer=shared)
    core.normalizer.load_state(shared.state())  # what a pull does, without a global model here
    update = core.update()
    raw = core.raw_obs.reshape(-1, 3)
    np.testing.assert_allclose(core.rollout.obs.reshape(-1, 3), (raw - [0.5, 0.0, 1.0]) / [2.0, 1.0, 4.0], rtol=1e-5)
    count, mean, var = update.moments.obs
    assert count == 12
    np.testing.assert_allclose(mean, raw.mean(axis=0), rtol=1e-5, atol=1e-7)
    assert update.moments.returns[0] == int(core.rollout.valid.sum())
    assert np.all(np.abs(core.rollout.obs) <= CLIP) and math.isfinite(update.stats["loss"])
    env.close()
