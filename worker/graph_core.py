"""An optional speed-up of `worker.core.WorkerCore` for games ported to TensorFlow (CartPole): the same update,
with the rollout inside the gradient's graph.

`WorkerCore` steps gymnasium envs from Python, so its rollout holds the GIL and two worker threads cannot
share two cores. Here acting, sampling, stepping (`envs.cartpole_tf`) and the reference path's steps 2-4
(`worker.core.a3c_gradients`: returns, loss, clipped gradients) are one XLA-compiled call per update that
takes no inputs (the state lives in variables), so the GIL is released for all of it. The rollout follows
`WorkerCore.collect` rule for rule; `tests/test_worker_parity.py` holds the two to it. Feed-forward models only.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from envs.cartpole_tf import CartPoleTF
from memory import RolloutBatch
from models import ActorCritic
from worker.core import STAT_NAMES, Episode, Update, a3c_gradients
from worker.hyperparams import Hyperparams
from worker.weight_sync import WeightSync

RNG_KIND = "tf-philox"  # what `rng_state` holds, so a checkpoint of another core's sampler is recognised


class GraphWorkerCore:
    def __init__(
        self,
        local_model: ActorCritic,
        global_variables: list | None,
        env: CartPoleTF,
        hp: Hyperparams,
        seed: int,
    ) -> None:
        if local_model.recurrent:
            raise ValueError("the in-graph worker runs feed-forward models only")
        self.model = local_model
        self.distribution = local_model.distribution
        self.hp = hp
        self.env = env
        self.num_envs = env.num_envs
        self.weights = WeightSync(local_model.trainable_variables, global_variables)
        self.sampler = tf.random.Generator.from_seed(seed)
        self.obs = tf.Variable(tf.zeros([self.num_envs, *env.obs_shape]), trainable=False)
        self.prev_done = tf.Variable(tf.zeros([self.num_envs], tf.bool), trainable=False)
        self.episode_return = tf.Variable(tf.zeros([self.num_envs], tf.float64), trainable=False)
        self.episode_length = tf.Variable(tf.zeros([self.num_envs], tf.int32), trainable=False)
        self._entropy_beta = tf.Variable(hp.entropy_beta, trainable=False, dtype=tf.float32)
        self._update = tf.function(self._update_graph, input_signature=[], jit_compile=True).get_concrete_function()

        self.start_episodes(env, seed)
        self._update()  # XLA compiles now, not in the first update of a thread; then start afresh
        self.start_episodes(env, seed)
        self.sampler.reset_from_seed(seed)

    def start_episodes(self, env: CartPoleTF, seed: int) -> None:
        """Begin fresh episodes in `env` (also how a failed worker restarts with new environments)."""
        if env is not self.env:
            raise ValueError("an in-graph worker keeps its environments; restart it with the same env")
        self.obs.assign(env.reset(seed=seed))
        self.prev_done.assign(tf.zeros_like(self.prev_done))
        self.episode_return.assign(tf.zeros_like(self.episode_return))
        self.episode_length.assign(tf.zeros_like(self.episode_length))

    def pull(self) -> None:
        """Copy the global weights into the local model (in-graph assigns)."""
        self.weights.pull()

    def load_flat(self, flat_weights: np.ndarray, normalizer_state: dict | None = None) -> None:
        """Set the local model from the global weights sent as one flat vector (a Ray actor's pull). Normalization
        is never on here (`launch.check_normalization` refuses it with the TensorFlow port)."""
        self.weights.load_flat(flat_weights)

    @property
    def entropy_beta(self) -> float:
        return float(self._entropy_beta.numpy())

    @entropy_beta.setter
    def entropy_beta(self, value: float) -> None:
        self._entropy_beta.assign(value)

    @property
    def rng_state(self) -> dict:
        return {"kind": RNG_KIND, "state": self.sampler.state.numpy().tolist()}

    @rng_state.setter
    def rng_state(self, state: dict) -> None:
        if state.get("kind") != RNG_KIND:
            raise ValueError("the checkpoint's sampler state is not a TensorFlow Philox state")
        self.sampler.state.assign(np.asarray(state["state"], dtype=np.int64))

    def update(self) -> Update:
        grads, stats, ended, ended_return, ended_length, steps = self._update()
        ended = ended.numpy()
        episodes = []
        if ended.any():  # in step order, then environment order, as WorkerCore reports them
            returns, lengths = ended_return.numpy()[ended], ended_length.numpy()[ended]
            episodes = [Episode(float(r), int(n)) for r, n in zip(returns, lengths)]
        return Update(grads, dict(zip(STAT_NAMES, stats.numpy().tolist())), episodes, int(steps))

    # --- the graph ----------------------------------------------------------------------------
    def _update_graph(self):
        batch, ended = self._rollout_graph()
        grads, stats = a3c_gradients(self.model, batch, self.hp, self._entropy_beta)
        steps = tf.reduce_sum(tf.cast(batch.valid, tf.int32))
        return grads, stats, ended["ended"], ended["return"], ended["length"], steps

    def _rollout_graph(self) -> tuple[RolloutBatch, dict[str, tf.Tensor]]:
        """One rollout of t_max steps, rule for rule as `WorkerCore.collect`; and the episodes that ended."""
        obs, prev_done = self.obs.read_value(), self.prev_done.read_value()
        episode_return, episode_length = self.episode_return.read_value(), self.episode_length.read_value()
        ro = {name: [] for name in RolloutBatch._fields if name not in ("last_values", "state0", "starts")}
        ended = {"ended": [], "return": [], "length": []}
        for t in range(self.hp.t_max):
            params, values = self.model(obs)
            if t > 0:  # a truncated episode's final observation is this step's input
                ro["final_values"].append(tf.where(ro["truncated"][-1], values, 0.0))
            actions = self.distribution.sample(params, self.sampler)
            next_obs, rewards, terminated, truncated = self.env.step(actions)
            valid = ~prev_done  # False on a reset step: no transition, no part in the loss
            episode_return += tf.cast(rewards, tf.float64)
            episode_length += tf.cast(valid, tf.int32)
            done = terminated | truncated
            clipped = tf.clip_by_value(rewards, -1.0, 1.0) if self.hp.clip_rewards else rewards
            for name, value in (
                ("obs", obs),
                ("actions", actions),
                ("rewards", clipped),
                ("terminated", terminated),
                ("truncated", truncated),
                ("valid", valid),
            ):
                ro[name].append(value)
            for name, value in (("ended", done), ("return", episode_return), ("length", episode_length)):
                ended[name].append(value)
            episode_return = tf.where(done, tf.zeros_like(episode_return), episode_return)
            episode_length = tf.where(done, tf.zeros_like(episode_length), episode_length)
            prev_done, obs = done, next_obs
        _, last_values = self.model(obs)
        ro["final_values"].append(tf.where(ro["truncated"][-1], last_values, 0.0))
        self.obs.assign(obs)
        self.prev_done.assign(prev_done)
        self.episode_return.assign(episode_return)
        self.episode_length.assign(episode_length)
        steps = {name: tf.stack(values) for name, values in ro.items()}
        batch = RolloutBatch(**steps, starts=tf.zeros_like(steps["valid"]), last_values=last_values, state0=())
        return batch, {name: tf.stack(values) for name, values in ended.items()}
