"""models.distributions: log-probabilities, entropy, greedy and sampled actions against hand-computed values."""

import math

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from models import Categorical, UnsupportedSpace, make_distribution

# Logits of two rows over 3 actions. Row 0: pi = (1/4, 1/4, 1/2) (logits ln1, ln1, ln2); row 1: uniform.
LOGITS = np.log(np.array([[1.0, 1.0, 2.0], [1.0, 1.0, 1.0]], np.float32))


def test_categorical_log_prob_entropy_and_mode_by_hand():
    dist = Categorical(3)
    log_prob = dist.log_prob(tf.constant(LOGITS), tf.constant([2, 0])).numpy()
    np.testing.assert_allclose(log_prob, [math.log(0.5), math.log(1 / 3)], rtol=1e-6)
    # H = -sum pi log pi: row 0 = 2 * (1/4 ln 4) + 1/2 ln 2 = 1.5 ln 2; row 1 = ln 3
    np.testing.assert_allclose(dist.entropy(tf.constant(LOGITS)).numpy(), [1.5 * math.log(2), math.log(3)], rtol=1e-6)
    assert dist.mode(tf.constant(LOGITS)).numpy()[0] == 2 and dist.mode_numpy(LOGITS)[0] == 2
    assert dist.param_size == 3 and dist.action_shape == () and dist.action_dtype == np.int32


def test_categorical_log_prob_stays_finite_for_a_near_certain_policy():
    # log-softmax, not log(softmax + eps): an action with a tiny probability still has its exact log-probability.
    logits = tf.constant([[0.0, -200.0]])
    np.testing.assert_allclose(Categorical(2).log_prob(logits, tf.constant([1])).numpy(), [-200.0], rtol=1e-5)


@pytest.mark.parametrize("backend", ["numpy", "tensorflow"])
def test_categorical_samples_follow_the_policy(backend):
    dist, n = Categorical(3), 20_000
    params = np.repeat(LOGITS[:1], n, axis=0)
    if backend == "numpy":
        actions = dist.sample_numpy(params, np.random.default_rng(0))
    else:
        actions = dist.sample(tf.constant(params), tf.random.Generator.from_seed(0)).numpy()
    assert actions.dtype == np.int32 and actions.shape == (n,)
    # Binomial standard error at n = 20,000 is ~0.0035: 0.015 is more than 4 of them.
    np.testing.assert_allclose(np.bincount(actions, minlength=3) / n, [0.25, 0.25, 0.5], atol=0.015)


def test_distribution_from_the_action_space():
    dist = make_distribution(gym.spaces.Discrete(5))
    assert isinstance(dist, Categorical) and dist.n == 5
    with pytest.raises(UnsupportedSpace, match="has a Box action space; A3C here needs a Discrete one"):
        make_distribution(gym.spaces.Box(-1.0, 1.0, (2,)))
