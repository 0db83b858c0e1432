"""One A3C worker update, top to bottom (DESIGN.md, "The algorithm, exactly").

    WorkerCore.update()
      1. collect            act for t_max steps in every environment, keeping the rollout     (memory.Rollout)
      2. n_step_returns     R_t = r_t + gamma * R_{t+1}, bootstrapped where an episode or the rollout ended
      3. a3c_loss           policy gradient, value and entropy terms, through the policy's distribution
      4. a3c_gradients      gradients of that loss on the local model, clipped by global norm

Steps 2-4 run as one `tf.function` with a fixed input signature (XLA-compiled where that is faster: `use_xla`),
traced in the constructor (on the caller's thread, before any worker starts), so no call retraces and no thread
builds a graph. Pulling the global weights and applying the gradients are the harness's part (`worker.thread`).
Games whose environments exist as TensorFlow ops (CartPole) may run `worker.graph_core.GraphWorkerCore` instead:
a speed-up that puts step 1 into the same graph and shares steps 2-4 with this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import tensorflow as tf
from gymnasium.vector import VectorEnv

from envs.normalize import Moments, Normalizer, ReturnTracker, moments_of
from memory import Rollout, RolloutBatch
from models import ActorCritic, make_actor, zero_state_rows
from models.distributions import Distribution
from worker.hyperparams import Hyperparams
from worker.weight_sync import WeightSync

STAT_NAMES = ("loss", "policy_loss", "value_loss", "entropy", "grad_norm")


@dataclass(frozen=True)
class Episode:
    episode_return: float
    length: int


@dataclass(frozen=True)
class Update:
    """What one worker update produces, however the worker is run."""

    grads: tf.Tensor | np.ndarray  # the clipped gradient, one flat vector in model variable order
    stats: dict[str, float]  # STAT_NAMES
    episodes: list[Episode]  # finished during the rollout, in step then environment order
    steps: int  # environment steps taken (real transitions only)
    moments: Moments | None = None  # raw observations and returns seen, for the shared normalizer (if on)


class Core(Protocol):
    """The worker contract: every way of computing an update offers it (this module's `WorkerCore`, the
    in-graph `GraphWorkerCore`, the Ray stand-in `RemoteCore`). How a failed worker restarts is the backend's
    business (`master_agent.backends`)."""

    def pull(self) -> None:
        """Copy the global weights into the local model."""

    def update(self) -> Update:
        """Collect one rollout with the local model and return its clipped gradients."""

    rng_state: dict  # the action sampler's state, checkpointed so a resumed run samples on
    entropy_beta: float  # the entropy weight the next update uses (the master sets it where it is scheduled)


class WorkerCore:
    """The reference worker: gymnasium environments stepped from Python."""

    def __init__(
        self,
        local_model: ActorCritic,
        global_variables: list | None,
        env: VectorEnv,
        hp: Hyperparams,
        seed: int,
        global_normalizer: Normalizer | None = None,
    ) -> None:
        """`global_normalizer`: the master's statistics, copied at each pull (threads); a Ray actor gets them
        with the weights instead (`load_flat`)."""
        self.model = local_model
        self.distribution: Distribution = local_model.distribution
        self.env = env
        self.hp = hp
        self.num_envs = env.num_envs
        space = env.single_observation_space
        obs_shape = tuple(space.shape)
        # Images stay uint8 until the network (4x less memory per rollout); vectors become float32.
        self.obs_dtype = np.uint8 if space.dtype == np.uint8 else np.float32
        self.rollout = Rollout(hp.t_max, self.num_envs, obs_shape, self.obs_dtype, self.distribution)
        self.rng = np.random.default_rng(seed)
        # Normalization: this rollout's snapshot of the shared statistics, and the raw data they are updated from.
        self.global_normalizer = global_normalizer
        self.normalizer = Normalizer(obs_shape, hp.normalize_obs, hp.normalize_reward)
        self.raw_obs = np.zeros((hp.t_max, self.num_envs, *obs_shape), np.float32) if hp.normalize_obs else None
        self.raw_returns = np.zeros((hp.t_max, self.num_envs), np.float64) if hp.normalize_reward else None

        obs_spec = tf.TensorSpec([None, *obs_shape], tf.as_dtype(self.obs_dtype))
        self.actor = make_actor(local_model, obs_spec)
        self.weights = WeightSync(local_model.trainable_variables, global_variables)
        batch_spec = Rollout.spec(hp.t_max, obs_spec, self.distribution.action_spec(), local_model.state_specs())
        self._entropy_beta = tf.Variable(hp.entropy_beta, trainable=False, dtype=tf.float32)  # read at every call
        self._gradients = tf.function(
            lambda batch: a3c_gradients(self.model, batch, hp, self._entropy_beta),
            input_signature=[batch_spec],
            jit_compile=use_xla(local_model),
        ).get_concrete_function()

        self.start_episodes(env, seed)
        self.last_values = np.zeros(self.num_envs, dtype=np.float32)
        self.rollout.state0 = tuple(s.copy() for s in self.state)
        self._gradients(self.rollout.batch(self.last_values))  # compiles now, not in a thread's first update

    def start_episodes(self, env: VectorEnv, seed: int) -> None:
        """Begin fresh episodes in `env` (also how a failed worker restarts with a new environment)."""
        if env is not self.env:
            self.env.close()
            self.env = env
        obs, _ = env.reset(seed=seed)
        self.obs = obs.astype(self.obs_dtype, copy=False)  # raw, as the environment gives it
        self.returns = ReturnTracker(self.num_envs, self.hp.gamma)
        self.state = self.model.initial_state(self.num_envs)
        self.prev_done = np.zeros(self.num_envs, dtype=bool)
        self.next_starts = np.ones(self.num_envs, dtype=bool)
        self.episode_return = np.zeros(self.num_envs, dtype=np.float64)
        self.episode_length = np.zeros(self.num_envs, dtype=np.int64)
        self.lives = np.zeros(self.num_envs, dtype=np.int64)  # 0: not known yet, so no life counts as lost

    def pull(self) -> None:
        """Copy the global weights into the local model (in-graph assigns, no NumPy round trip), and the shared
        normalization statistics."""
        self.actor.load([w.numpy() for w in self.weights.pull()])
        if self.global_normalizer is not None:
            self.normalizer.load_state(self.global_normalizer.state())

    def load_flat(self, flat_weights: np.ndarray, normalizer_state: dict | None = None) -> None:
        """Set the local model from the global weights sent as one flat vector, and the normalization statistics
        (a Ray actor's pull)."""
        self.actor.load([w.numpy() for w in self.weights.load_flat(flat_weights)])
        if normalizer_state is not None:
            self.normalizer.load_state(normalizer_state)

    @property
    def entropy_beta(self) -> float:
        return float(self._entropy_beta.numpy())

    @entropy_beta.setter
    def entropy_beta(self, value: float) -> None:
        self._entropy_beta.assign(value)

    @property
    def rng_state(self) -> dict:
        return self.rng.bit_generator.state

    @rng_state.setter
    def rng_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state

    def update(self) -> Update:
        episodes, steps = self.collect()  # 1
        grads, stats = self._gradients(self.rollout.batch(self.last_values))  # 2-4
        return Update(grads, dict(zip(STAT_NAMES, stats.numpy().tolist())), episodes, steps, self._moments())

    def _moments(self) -> Moments | None:
        """What this rollout saw, raw, for the shared statistics: observations, and returns at real steps."""
        if self.raw_obs is None and self.raw_returns is None:
            return None
        valid = self.rollout.valid
        return Moments(
            obs=moments_of(self.raw_obs.reshape(-1, *self.raw_obs.shape[2:])) if self.raw_obs is not None else None,
            returns=moments_of(self.raw_returns[valid]) if self.raw_returns is not None else None,
        )

    def collect(self) -> tuple[list[Episode], int]:
        """1. Act for t_max steps in every environment; return the finished episodes and env steps taken.

        The vector env autoresets in NEXT_STEP mode: the step after an episode ends is a reset step whose
        action is ignored, so it is stored as not `valid` (no transition, no part in the loss), and the
        observation it is taken from is the ended episode's final one, whose value bootstraps a truncation.
        """
        ro, env, norm = self.rollout, self.env, self.normalizer
        ro.state0 = tuple(s.copy() for s in self.state)
        finished: list[Episode] = []
        for t in range(ro.t_max):
            ro.starts[t] = self.next_starts
            zero_state_rows(self.state, self.next_starts)
            if self.raw_obs is not None:
                self.raw_obs[t] = self.obs
            obs = norm.observations(self.obs)
            params, values, self.state = self.actor(obs, self.state)
            if t > 0:  # a truncated episode's final observation is this step's input
                ro.final_values[t - 1] = np.where(ro.truncated[t - 1], values, 0.0)
            actions = self.distribution.sample_numpy(params, self.rng)
            ro.obs[t] = obs
            ro.actions[t] = actions
            ro.valid[t] = ~self.prev_done
            obs, rewards, terminated, truncated, info = env.step(self.distribution.to_env_numpy(actions))
            done = terminated | truncated
            loss_rewards = np.clip(rewards, -1.0, 1.0) if self.hp.clip_rewards else rewards
            if self.raw_returns is not None:  # the spread of these returns scales the rewards the loss sees
                self.raw_returns[t] = self.returns.step(loss_rewards, done)
            ro.rewards[t] = norm.rewards(loss_rewards)
            ro.terminated[t] = (terminated | self.lost_a_life(info)) if self.hp.terminal_on_life_loss else terminated
            ro.truncated[t] = truncated
            self.obs = obs.astype(self.obs_dtype, copy=False)

            self.episode_return += rewards  # the real reward: logged returns are the game's score
            self.episode_length += ro.valid[t]
            if done.any():
                for i in np.flatnonzero(done):
                    finished.append(Episode(float(self.episode_return[i]), int(self.episode_length[i])))
                self.episode_return[done] = 0.0
                self.episode_length[done] = 0
            self.prev_done = done
            self.next_starts = ~ro.valid[t]  # what a reset step returns is a new episode's first observation
        _, self.last_values, _ = self.actor(norm.observations(self.obs), self.state)
        ro.final_values[-1] = np.where(ro.truncated[-1], self.last_values, 0.0)
        return finished, int(ro.valid.sum())

    def lost_a_life(self, info: dict) -> np.ndarray:
        """Which environments lost a life this step (Atari's `lives` in the step's info). A new game after a reset
        step starts with more lives, never fewer, so it is not a loss."""
        lives = np.asarray(info["lives"], dtype=np.int64)
        lost = lives < self.lives
        self.lives = lives
        return lost


def use_xla(model: ActorCritic) -> bool:
    """Whether XLA compiles the gradient. It fuses a small network's many ops, but where TensorFlow runs oneDNN
    (CPUs with AVX-512 VNNI/BF16, where it logs "oneDNN custom operations are on") oneDNN's convolutions beat XLA's.
    Measured on 2 cores, one thread, 80-frame update (16 envs x t_max 5): with oneDNN, CNN-LSTM 34 ms plain
    against 68 ms XLA, CNN 33 against 74; with oneDNN off (`TF_ENABLE_ONEDNN_OPTS=0`), CNN-LSTM 104 against 51."""
    return not (model.convolutional and onednn_enabled())


def onednn_enabled() -> bool:
    try:  # TensorFlow's own probe; not public API, so a build without it counts as one without oneDNN
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return False


def n_step_returns(
    rewards, terminated, truncated, final_values, last_values, gamma: float, values=None, lam: float = 1.0
) -> tf.Tensor:
    """2. R_t = r_t + gamma * R_{t+1}, computed backwards over a [T, E] rollout (T static).

    Where an episode ends at step t the chain is cut: a *terminated* episode bootstraps from 0, a *truncated*
    one (time limit) from `final_values[t]`, the value of its final observation, because the state itself was
    not terminal. The step after the rollout bootstraps from `last_values` (V of the observation the rollout
    was cut at). Rewards are never rewritten. Eager calls with NumPy arrays work too.

    `lam` < 1 gives lambda-returns instead, R_t = r_t + gamma * [(1 - lam) V(s_{t+1}) + lam R_{t+1}] with
    `values` [T, E] the critic's V(s_t): then R_t - V(s_t) is GAE(lambda)'s advantage (Schulman et al. 2016),
    which trades the n-step return's variance for the critic's bias. lam = 1 is the n-step return above.
    """
    rewards = tf.convert_to_tensor(rewards, tf.float32)
    final_values = tf.convert_to_tensor(final_values, tf.float32)
    next_return = tf.convert_to_tensor(last_values, tf.float32)
    next_value = next_return
    returns = []
    for t in range(rewards.shape[0] - 1, -1, -1):
        if lam != 1.0:
            next_return = (1.0 - lam) * next_value + lam * next_return
        bootstrap = tf.where(terminated[t], 0.0, tf.where(truncated[t], final_values[t], next_return))
        next_return = rewards[t] + gamma * bootstrap
        returns.append(next_return)
        if lam != 1.0:
            next_value = tf.convert_to_tensor(values[t], tf.float32)
    return tf.stack(returns[::-1])


def a3c_loss(
    distribution: Distribution,
    params: tf.Tensor,
    values: tf.Tensor,
    actions: tf.Tensor,
    returns: tf.Tensor,
    mask: tf.Tensor,
    entropy_beta: float | tf.Tensor,
    value_coef: float,
) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
    """3. L = sum[-log pi(a|s) * stop_grad(A)] + c_v * sum[0.5 * A^2] - beta * sum[H(pi(.|s))], A = R - V(s).

    `mask` (1 for real transitions, 0 for a vector env's reset steps) weights every sum. The entropy is the
    distribution's full H(pi(.|s)) with a minus sign: a bonus that keeps the policy exploring (the tutorial's
    `+ pi(a) log pi(a)` of the taken action lowers entropy instead).
    """
    advantages = returns - values
    policy_loss = -tf.reduce_sum(mask * distribution.log_prob(params, actions) * tf.stop_gradient(advantages))
    value_loss = tf.reduce_sum(mask * 0.5 * tf.square(advantages))
    entropy = tf.reduce_sum(mask * distribution.entropy(params))
    loss = policy_loss + value_coef * value_loss - entropy_beta * entropy
    return loss, {"policy_loss": policy_loss, "value_loss": value_loss, "entropy": entropy}


def a3c_gradients(
    model: ActorCritic, batch: RolloutBatch, hp: Hyperparams, entropy_beta: tf.Variable | float | None = None
) -> tuple[tf.Tensor, tf.Tensor]:
    """2-4. Returns, loss and its gradient on `model`, clipped by global norm, as one flat vector; and the loss
    statistics in `STAT_NAMES` order. One flat tensor crosses into the shared optimizer instead of one per
    variable, which is most of the cost of a small network's update call. `entropy_beta`: the scheduled weight
    (a variable the caller moves), else `hp.entropy_beta`."""

    def flat(x):  # [T, E, ...] -> [T * E, ...], the batch layout the network and the loss take
        return tf.reshape(x, [-1, *x.shape[2:]])

    with tf.GradientTape() as tape:
        params, values = model.unroll(flat(batch.obs), batch.state0, batch.starts)
        # The targets are constants of the loss: with GAE they read the critic's values, not its gradient.
        critic = tf.stop_gradient(tf.reshape(values, tf.shape(batch.rewards)))
        returns = n_step_returns(
            batch.rewards, batch.terminated, batch.truncated, batch.final_values, batch.last_values, hp.gamma,
            critic, hp.gae_lambda,
        )  # fmt: skip
        loss, terms = a3c_loss(
            model.distribution,
            params,
            values,
            flat(batch.actions),
            flat(returns),
            flat(tf.cast(batch.valid, tf.float32)),
            hp.entropy_beta if entropy_beta is None else entropy_beta,
            hp.value_coef,
        )
    grads = tape.gradient(loss, model.trainable_variables)
    clipped, norm = tf.clip_by_global_norm(grads, hp.max_grad_norm)
    flat_grads = tf.concat([tf.reshape(g, [-1]) for g in clipped], axis=0)
    return flat_grads, tf.stack([loss, terms["policy_loss"], terms["value_loss"], terms["entropy"], norm])
