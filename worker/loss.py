"""The A3C loss, every term in view (DESIGN.md, "The algorithm, exactly", step 5)."""

from __future__ import annotations

import tensorflow as tf


def a3c_loss(
    logits: tf.Tensor,
    values: tf.Tensor,
    actions: tf.Tensor,
    returns: tf.Tensor,
    mask: tf.Tensor,
    entropy_beta: float,
    value_coef: float,
) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
    """L = sum[-log pi(a|s) * stop_grad(A)] + c_v * sum[0.5 * A^2] - beta * sum[H(pi(.|s))].

    `mask` (1 for real transitions, 0 for a vector env's reset steps) weights every sum. The entropy is
    the full H = -sum_a pi log pi with a minus sign in the loss, a bonus that keeps the policy exploring
    (the tutorial's `+ pi(a) log pi(a)` of the taken action lowers entropy instead).
    """
    log_probs = tf.nn.log_softmax(logits)
    log_prob_taken = tf.gather(log_probs, actions, batch_dims=1)
    advantages = returns - values
    policy_loss = -tf.reduce_sum(mask * log_prob_taken * tf.stop_gradient(advantages))
    value_loss = tf.reduce_sum(mask * 0.5 * tf.square(advantages))
    entropy = -tf.reduce_sum(mask * tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1))
    loss = policy_loss + value_coef * value_loss - entropy_beta * entropy
    return loss, {"policy_loss": policy_loss, "value_loss": value_loss, "entropy": entropy}


STAT_NAMES = ("loss", "policy_loss", "value_loss", "entropy", "grad_norm")


def clipped_flat_gradients(model, obs, state0, starts, actions, returns, mask, hp) -> tuple[tf.Tensor, tf.Tensor]:
    """Gradients of the A3C loss on `model`, clipped by global norm, as one flat vector; and the loss
    statistics in `STAT_NAMES` order. One flat tensor crosses into the shared optimizer instead of one
    per variable, which is most of the cost of a small network's update call."""
    with tf.GradientTape() as tape:
        logits, values = model.unroll(obs, state0, starts)
        loss, stats = a3c_loss(logits, values, actions, returns, mask, hp.entropy_beta, hp.value_coef)
    grads = tape.gradient(loss, model.trainable_variables)
    clipped, norm = tf.clip_by_global_norm(grads, hp.max_grad_norm)
    flat = tf.concat([tf.reshape(g, [-1]) for g in clipped], axis=0)
    return flat, tf.stack([loss, stats["policy_loss"], stats["value_loss"], stats["entropy"], norm])
