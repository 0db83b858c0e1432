"""worker.core.a3c_loss (through the Categorical distribution) against DESIGN.md step 5:

L = sum_t[-log pi(a_t|s_t) * stop_gradient(A_t)] + c_v * sum_t[0.5 * A_t^2] - beta * sum_t H(pi(.|s_t)),
A_t = R_t - V(s_t), H = -sum_a pi log pi, every sum weighted by the mask.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

from models.distributions import Categorical
from worker.core import a3c_loss as loss_of


def a3c_loss(logits, *args):
    """The loss of a categorical policy over as many actions as `logits` has columns."""
    return loss_of(Categorical(logits.shape[-1]), logits, *args)


def numpy_a3c_loss(logits, values, actions, returns, mask, beta, c_v):
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    probs = np.exp(log_probs)
    adv = returns - values
    log_taken = log_probs[np.arange(len(actions)), actions]
    policy = np.sum(mask * -log_taken * adv)
    value = np.sum(mask * 0.5 * adv**2)
    entropy = np.sum(mask * -(probs * log_probs).sum(axis=1))
    return policy + c_v * value - beta * entropy, policy, value, entropy


def approx(x, rel=1e-5, abs=None):
    return pytest.approx(x, rel=rel, abs=abs)


def entropy_of(logits):
    p = tf.nn.softmax(logits)
    return float(-tf.reduce_sum(p * tf.nn.log_softmax(logits)))


def call(logits, values, actions, returns, mask, beta=0.01, c_v=0.5):
    return a3c_loss(
        tf.constant(logits, tf.float32),
        tf.constant(values, tf.float32),
        tf.constant(actions, tf.int32),
        tf.constant(returns, tf.float32),
        tf.constant(mask, tf.float32),
        beta,
        c_v,
    )


def test_hand_computed_uniform_policy():
    # Two actions, zero logits: log pi = -ln 2, H = ln 2. V = 1, R = 3 -> A = 2. Third sample masked out.
    logits = np.zeros((3, 2))
    values = np.array([1.0, 1.0, -50.0])
    returns = np.array([3.0, 3.0, 80.0])
    actions = np.array([0, 1, 1])
    mask = np.array([1.0, 1.0, 0.0])
    loss, stats = call(logits, values, actions, returns, mask, beta=0.01, c_v=0.5)
    ln2 = math.log(2)
    # policy = 2 * (ln2 * 2) = 4 ln2; value = 2 * 0.5 * 2^2 = 4; entropy = 2 ln2
    # L = 4 ln2 + 0.5 * 4 - 0.01 * 2 ln2 = 3.98 ln2 + 2 = 4.758726...
    assert float(stats["policy_loss"]) == approx(4 * ln2)
    assert float(stats["value_loss"]) == approx(4.0)
    assert float(stats["entropy"]) == approx(2 * ln2)
    assert float(loss) == approx(3.98 * ln2 + 2.0)
    assert float(loss) == approx(4.758726, abs=1e-5)


def test_matches_numpy_formula_on_random_batch_with_masked_samples():
    rng = np.random.default_rng(0)
    n, a = 12, 4
    logits = rng.normal(0, 2, (n, a))
    values = rng.normal(0, 1, n)
    returns = rng.normal(0, 3, n)
    actions = rng.integers(0, a, n)
    mask = np.ones(n)
    mask[[2, 7, 11]] = 0.0
    beta, c_v = 0.05, 0.7
    loss, stats = call(logits, values, actions, returns, mask, beta, c_v)
    ref_loss, ref_policy, ref_value, ref_entropy = numpy_a3c_loss(logits, values, actions, returns, mask, beta, c_v)
    assert float(loss) == approx(ref_loss, rel=1e-4, abs=1e-4)
    assert float(stats["policy_loss"]) == approx(ref_policy, rel=1e-4, abs=1e-4)
    assert float(stats["value_loss"]) == approx(ref_value, rel=1e-4, abs=1e-4)
    assert float(stats["entropy"]) == approx(ref_entropy, rel=1e-4, abs=1e-4)


def test_log_softmax_stays_finite_for_extreme_logits():
    # log(softmax + eps) would give a wrong, and log(softmax) an infinite, loss here.
    logits = np.array([[0.0, 200.0], [-300.0, 300.0]])
    loss, stats = call(logits, np.zeros(2), np.array([0, 0]), np.ones(2), np.ones(2), beta=0.01, c_v=0.5)
    # log pi(a=0) = -200 and -600; A = 1 -> policy loss 800
    assert float(stats["policy_loss"]) == approx(800.0)
    assert np.isfinite(float(loss))


def test_masked_samples_do_not_affect_loss_or_gradients():
    rng = np.random.default_rng(1)
    n, a = 8, 3
    logits = rng.normal(0, 1, (n, a))
    values = rng.normal(0, 1, n)
    returns = rng.normal(0, 1, n)
    actions = rng.integers(0, a, n)
    mask = np.array([1, 1, 0, 1, 0, 1, 1, 0], dtype=np.float64)
    off = mask == 0

    def loss_and_grads(lg, v, r, act):
        lg_t, v_t = tf.Variable(lg, dtype=tf.float32), tf.Variable(v, dtype=tf.float32)
        with tf.GradientTape() as tape:
            loss, _ = a3c_loss(
                lg_t,
                v_t,
                tf.constant(act, tf.int32),
                tf.constant(r, tf.float32),
                tf.constant(mask, tf.float32),
                0.01,
                0.5,
            )
        g_logits, g_values = tape.gradient(loss, [lg_t, v_t])
        return float(loss), g_logits.numpy(), g_values.numpy()

    base = loss_and_grads(logits, values, returns, actions)
    # Replace everything at the masked positions with wild values.
    logits2, values2, returns2, actions2 = logits.copy(), values.copy(), returns.copy(), actions.copy()
    logits2[off] = rng.normal(0, 50, (off.sum(), a))
    values2[off] = 1e4
    returns2[off] = -1e4
    actions2[off] = (actions2[off] + 1) % a
    other = loss_and_grads(logits2, values2, returns2, actions2)

    assert other[0] == approx(base[0], rel=1e-5, abs=1e-5)
    np.testing.assert_allclose(other[1][~off], base[1][~off], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(other[2][~off], base[2][~off], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(base[1][off], 0.0)
    np.testing.assert_array_equal(base[2][off], 0.0)
    np.testing.assert_array_equal(other[2][off], 0.0)


def test_value_gradient_comes_only_from_the_value_term():
    # stop_gradient(A) in the policy term: dL/dV_t = -c_v * mask_t * A_t, nothing from log pi.
    logits = tf.constant([[0.3, -1.0], [2.0, 0.5], [0.0, 0.0]], tf.float32)
    values = tf.Variable([0.5, -1.0, 2.0], dtype=tf.float32)
    returns = tf.constant([2.0, 1.0, 0.0], tf.float32)
    mask = tf.constant([1.0, 1.0, 0.0])
    with tf.GradientTape() as tape:
        loss, _ = a3c_loss(logits, values, tf.constant([0, 1, 1]), returns, mask, 0.01, 0.5)
    grad = tape.gradient(loss, values).numpy()
    # A = [1.5, 2.0, -2.0] -> -0.5 * [1.5, 2.0, 0] = [-0.75, -1.0, 0]
    np.testing.assert_allclose(grad, [-0.75, -1.0, 0.0], rtol=1e-6, atol=1e-7)


def test_entropy_term_is_a_bonus_a_gradient_step_raises_entropy():
    # Advantages 0 (returns == values): the only term left is -beta * H, so one descent step on the
    # loss must make the policy *more* random. The tutorial's `pi(a) log pi(a)` sign would lower it.
    logits = tf.Variable([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0], [1.0, 1.0, -4.0]], dtype=tf.float32)
    values = tf.constant([0.3, -0.2, 1.0])
    returns = values
    actions = tf.constant([0, 1, 2])
    mask = tf.ones(3)
    beta = 0.01
    before = entropy_of(logits)
    with tf.GradientTape() as tape:
        loss, stats = a3c_loss(logits, values, actions, returns, mask, beta, 0.5)
    assert float(loss) == approx(-beta * before, rel=1e-5)
    assert float(stats["entropy"]) == approx(before, rel=1e-5)
    grad = tape.gradient(loss, logits)
    logits.assign_sub(10.0 * grad)  # beta is small; a large step keeps the change well above float noise
    after = entropy_of(logits)
    assert after > before + 1e-3


def test_entropy_beta_pushes_towards_more_entropy_than_without_it():
    # Same batch with and without the bonus: the difference of the gradients points uphill in H.
    rng = np.random.default_rng(2)
    logits0 = rng.normal(0, 2, (6, 4)).astype(np.float32)
    values = tf.constant(rng.normal(0, 1, 6), tf.float32)
    returns = tf.constant(rng.normal(0, 1, 6), tf.float32)
    actions = tf.constant(rng.integers(0, 4, 6), tf.int32)
    mask = tf.ones(6)

    def grad(beta):
        lg = tf.Variable(logits0)
        with tf.GradientTape() as tape:
            loss, _ = a3c_loss(lg, values, actions, returns, mask, beta, 0.5)
        return tape.gradient(loss, lg).numpy()

    diff = grad(0.5) - grad(0.0)  # = -0.5 * dH/dlogits
    before = entropy_of(tf.constant(logits0))
    after = entropy_of(tf.constant(logits0 - 0.1 * diff))
    assert after > before
