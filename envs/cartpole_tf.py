"""gymnasium's `CartPoleVectorEnv`, step for step, as TensorFlow ops.

Why: a worker that steps its environments in NumPy holds the GIL for the whole rollout, so two worker
threads cannot use two cores (measured: 2 threads no faster than 1). With the physics in TensorFlow the
whole rollout (acting, sampling, stepping, t_max times) runs as one compiled graph with the GIL released.

The dynamics, thresholds, rewards, time limit and NEXT_STEP autoreset are gymnasium's
(`gymnasium.envs.classic_control.cartpole.CartPoleVectorEnv`, the Euler integrator and the default reward),
in float64 as there; `tests/test_cartpole_tf.py` checks every step against gymnasium's own env. Only the
random numbers differ: reset states come from TensorFlow's Philox generator, not NumPy's.
"""

from __future__ import annotations

import math

import gymnasium as gym
import tensorflow as tf

from envs.registry import TF_GAMES, has_tf_env

GRAVITY = 9.8
MASS_CART = 1.0
MASS_POLE = 0.1
TOTAL_MASS = MASS_POLE + MASS_CART
HALF_POLE_LENGTH = 0.5
POLE_MASS_LENGTH = MASS_POLE * HALF_POLE_LENGTH
FORCE_MAG = 10.0
TAU = 0.02  # seconds between state updates
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4
RESET_BOUND = 0.05


class CartPoleTF(tf.Module):
    """`num_envs` cart-poles whose state lives in variables, so `step` can run inside a worker's graph.

    Call `reset` eagerly (it seeds the reset generator); call `step` in a `tf.function`.
    """

    def __init__(self, game_id: str, num_envs: int, seed: int = 0) -> None:
        if not has_tf_env(game_id):
            raise ValueError(f"no TensorFlow port of '{game_id}' (ports: {', '.join(TF_GAMES)})")
        super().__init__(name="cartpole_tf")
        self.game_id = game_id
        self.num_envs = num_envs
        self.max_episode_steps = gym.spec(game_id).max_episode_steps
        self.obs_shape = (4,)
        self.action_space = gym.spaces.Discrete(2)  # push left, push right
        self.rng = tf.random.Generator.from_seed(seed)
        self.state = tf.Variable(tf.zeros([4, num_envs], tf.float64), trainable=False, name="state")
        self.steps = tf.Variable(tf.zeros([num_envs], tf.int32), trainable=False, name="steps")
        self.prev_done = tf.Variable(tf.zeros([num_envs], tf.bool), trainable=False, name="prev_done")

    def _reset_states(self) -> tf.Tensor:
        return self.rng.uniform([4, self.num_envs], -RESET_BOUND, RESET_BOUND, dtype=tf.float64)

    def reset(self, seed: int | None = None) -> tf.Tensor:
        """Fresh episodes in every environment; returns the first observations [E, 4] (float32)."""
        if seed is not None:
            self.rng.reset_from_seed(seed)
        self.state.assign(self._reset_states())
        self.steps.assign(tf.zeros_like(self.steps))
        self.prev_done.assign(tf.zeros_like(self.prev_done))
        return tf.cast(tf.transpose(self.state), tf.float32)

    def step(self, actions: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
        """(obs [E, 4] float32, rewards, terminated, truncated), as gymnasium's vector step returns them."""
        x, x_dot, theta, theta_dot = tf.unstack(self.state)
        force = tf.where(actions == 1, FORCE_MAG, -FORCE_MAG)
        force = tf.cast(force, tf.float64)
        cos_theta, sin_theta = tf.cos(theta), tf.sin(theta)
        temp = (force + POLE_MASS_LENGTH * tf.square(theta_dot) * sin_theta) / TOTAL_MASS
        theta_acc = (GRAVITY * sin_theta - cos_theta * temp) / (
            HALF_POLE_LENGTH * (4.0 / 3.0 - MASS_POLE * tf.square(cos_theta) / TOTAL_MASS)
        )
        x_acc = temp - POLE_MASS_LENGTH * theta_acc * cos_theta / TOTAL_MASS
        x, x_dot = x + TAU * x_dot, x_dot + TAU * x_acc  # Euler: positions move with the old velocities
        theta, theta_dot = theta + TAU * theta_dot, theta_dot + TAU * theta_acc
        state = tf.stack([x, x_dot, theta, theta_dot])
        terminated = (x < -X_THRESHOLD) | (x > X_THRESHOLD) | (theta < -THETA_THRESHOLD) | (theta > THETA_THRESHOLD)
        steps = self.steps + 1
        truncated = steps >= self.max_episode_steps

        # NEXT_STEP autoreset: an environment whose episode ended at the previous step resets now, and this
        # step (action ignored) returns its first observation with reward 0 and no termination.
        resetting = self.prev_done
        state = tf.where(resetting[tf.newaxis, :], self._reset_states(), state)
        steps = tf.where(resetting, 0, steps)
        rewards = tf.where(resetting, 0.0, 1.0)
        terminated &= ~resetting
        truncated &= ~resetting

        self.state.assign(state)
        self.steps.assign(steps)
        self.prev_done.assign(terminated | truncated)
        return tf.cast(tf.transpose(state), tf.float32), rewards, terminated, truncated
