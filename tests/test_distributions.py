"""models.distributions: log-probabilities, entropy, greedy and sampled actions against hand-computed values."""

import math

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from models import Categorical, UnsupportedSpace, make_distribution
from models.distributions import Bernoulli, DiagGaussian, MultiCategorical, distribution_from_config

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
    box = make_distribution(gym.spaces.Box(-2.0, 2.0, (3,)))
    assert isinstance(box, DiagGaussian) and box.param_size == 6 and box.action_shape == (3,)
    multi = make_distribution(gym.spaces.MultiDiscrete([3, 2]))
    assert isinstance(multi, MultiCategorical) and multi.param_size == 5 and multi.action_shape == (2,)
    bits = make_distribution(gym.spaces.MultiBinary(4))
    assert isinstance(bits, Bernoulli) and bits.param_size == 4 and bits.action_shape == (4,)
    with pytest.raises(UnsupportedSpace, match="has a Text action space; supported: Discrete, Box"):
        make_distribution(gym.spaces.Text(5))
    with pytest.raises(UnsupportedSpace, match="actions must be one-dimensional"):
        make_distribution(gym.spaces.Box(-1.0, 1.0, (2, 2)))
    with pytest.raises(UnsupportedSpace, match="cannot be squashed"):
        make_distribution(gym.spaces.Box(-np.inf, np.inf, (2,)), bounds="squash")


@pytest.mark.parametrize(
    "space",
    [
        gym.spaces.Discrete(3, start=-1),
        gym.spaces.Box(-2.0, 2.0, (2,)),
        gym.spaces.MultiDiscrete([3, 2], start=[1, 0]),
        gym.spaces.MultiBinary(3),
    ],
)
def test_actions_reach_the_environment_inside_its_space_and_configs_round_trip(space):
    dist = make_distribution(space)
    params = np.random.default_rng(0).normal(0.0, 3.0, (50, dist.param_size)).astype(np.float32)
    for actions in (dist.sample_numpy(params, np.random.default_rng(1)), dist.mode_numpy(params)):
        assert actions.shape == (50, *dist.action_shape) and actions.dtype == dist.action_dtype
        assert all(space.contains(a) for a in dist.to_env_numpy(actions))
        np.testing.assert_array_equal(dist.to_env(tf.constant(actions)).numpy(), dist.to_env_numpy(actions))
    again = distribution_from_config(dist.get_config())
    assert type(again) is type(dist) and again.get_config() == dist.get_config()


# A 2-d Gaussian: mean (0, 1), log-std (0, ln 2), i.e. sigma (1, 2); the action (1, 1).
GAUSS = np.array([[0.0, 1.0, 0.0, math.log(2.0)]], np.float32)


def test_gaussian_log_prob_entropy_and_mode_by_hand():
    dist = DiagGaussian([-5.0, -5.0], [5.0, 5.0], "state-independent", "clip")
    # dim 0: -(1-0)^2/2 - 0 - 0.5 ln 2pi; dim 1: -(1-1)^2/8 - ln 2 - 0.5 ln 2pi
    expected = -0.5 - math.log(2.0) - math.log(2 * math.pi)
    np.testing.assert_allclose(
        dist.log_prob(tf.constant(GAUSS), tf.constant([[1.0, 1.0]])).numpy(), [expected], rtol=1e-6
    )
    # H = sum_i 0.5 + 0.5 ln 2pi + ln sigma_i = 1 + ln 2pi + ln 2
    np.testing.assert_allclose(
        dist.entropy(tf.constant(GAUSS)).numpy(), [1.0 + math.log(2 * math.pi) + math.log(2.0)], rtol=1e-6
    )
    np.testing.assert_array_equal(dist.mode_numpy(GAUSS), [[0.0, 1.0]])
    np.testing.assert_array_equal(dist.mode(tf.constant(GAUSS)).numpy(), [[0.0, 1.0]])


def test_gaussian_clip_and_squash_bring_actions_into_the_bounds():
    low, high = [-1.0, 0.0], [1.0, 4.0]
    actions = np.array([[3.0, -2.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(
        DiagGaussian(low, high, "state-independent", "clip").to_env_numpy(actions), [[1.0, 0.0], [0.0, 0.0]]
    )
    # squash: low + (tanh(a) + 1) (high - low) / 2; a = 0 lands mid-range
    squashed = DiagGaussian(low, high, "state-independent", "squash").to_env_numpy(actions)
    np.testing.assert_allclose(squashed, [[math.tanh(3.0), 2.0 * (math.tanh(-2.0) + 1.0)], [0.0, 2.0]], rtol=1e-6)


def test_squashed_gaussian_log_prob_has_the_change_of_variable_term():
    plain = DiagGaussian([-5.0, -5.0], [5.0, 5.0], "state-independent", "clip")
    squash = DiagGaussian([-5.0, -5.0], [5.0, 5.0], "state-independent", "squash")
    a = np.array([[1.0, 1.0]], np.float32)
    correction = 2 * math.log(1.0 - math.tanh(1.0) ** 2)  # sum_i log(1 - tanh(a_i)^2)
    np.testing.assert_allclose(
        squash.log_prob(tf.constant(GAUSS), a).numpy(),
        plain.log_prob(tf.constant(GAUSS), a).numpy() - correction,
        rtol=1e-5,
    )
    # stays finite where tanh(a) rounds to 1 in float32
    assert np.isfinite(squash.log_prob(tf.constant(GAUSS), tf.constant([[30.0, -30.0]])).numpy()).all()


@pytest.mark.parametrize("backend", ["numpy", "tensorflow"])
def test_gaussian_samples_have_the_policy_mean_and_spread(backend):
    dist, n = DiagGaussian([-9.0, -9.0], [9.0, 9.0], "state-independent", "clip"), 20_000
    params = np.repeat(GAUSS, n, axis=0)
    if backend == "numpy":
        actions = dist.sample_numpy(params, np.random.default_rng(0))
    else:
        actions = dist.sample(tf.constant(params), tf.random.Generator.from_seed(0)).numpy()
    # standard errors of the mean: sigma / sqrt(n) = 0.007, 0.014; of the std ~ sigma / sqrt(2n) = 0.005, 0.01
    np.testing.assert_allclose(actions.mean(axis=0), [0.0, 1.0], atol=0.05)
    np.testing.assert_allclose(actions.std(axis=0), [1.0, 2.0], atol=0.05)


def test_multi_categorical_sums_the_parts_by_hand():
    dist = MultiCategorical([3, 2])
    # part 0: pi = (1/4, 1/4, 1/2); part 1: pi = (1/2, 1/2)
    params = tf.constant([[0.0, 0.0, math.log(2.0), 0.0, 0.0]])
    np.testing.assert_allclose(
        dist.log_prob(params, tf.constant([[2, 1]])).numpy(), [math.log(0.5) + math.log(0.5)], rtol=1e-6
    )
    np.testing.assert_allclose(dist.entropy(params).numpy(), [1.5 * math.log(2) + math.log(2)], rtol=1e-6)
    np.testing.assert_array_equal(dist.mode_numpy(params.numpy()), [[2, 0]])
    np.testing.assert_array_equal(dist.mode(params).numpy(), [[2, 0]])


def test_bernoulli_log_prob_entropy_and_mode_by_hand():
    dist = Bernoulli(2)
    # bit 0: p = sigmoid(ln 3) = 3/4; bit 1: p = 1/2
    params = tf.constant([[math.log(3.0), 0.0]])
    np.testing.assert_allclose(
        dist.log_prob(params, tf.constant([[0, 1]])).numpy(), [math.log(0.25) + math.log(0.5)], rtol=1e-6
    )
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) + math.log(2)
    np.testing.assert_allclose(dist.entropy(params).numpy(), [h], rtol=1e-6)
    np.testing.assert_array_equal(dist.mode_numpy(params.numpy()), [[1, 0]])
    frequencies = dist.sample_numpy(np.repeat(params.numpy(), 20_000, axis=0), np.random.default_rng(0)).mean(axis=0)
    np.testing.assert_allclose(frequencies, [0.75, 0.5], atol=0.015)


def test_every_variant_the_command_line_offers_exists():
    from worker.hyperparams import ACTION_BOUNDS_CHOICES, LOG_STD_CHOICES

    for log_std in LOG_STD_CHOICES:
        for bounds in ACTION_BOUNDS_CHOICES:
            dist = make_distribution(gym.spaces.Box(-1.0, 1.0, (2,)), log_std, bounds)
            assert (dist.log_std_kind, dist.bounds) == (log_std, bounds)
