"""What a worker computes when its environments run in TensorFlow (CartPole): the whole update in one graph.

`WorkerCore` steps gymnasium envs from Python, so its rollout holds the GIL and two worker threads cannot
share two cores. Here acting, sampling, stepping (`envs.cartpole_tf`), returns, loss and gradients are
one XLA-compiled call per update that takes no inputs (the state lives in variables), so the GIL is
released for all of it. Same algorithm and interface as `WorkerCore` (`collect`, `gradients`, `pull`,
`load_flat`, `rng_state`), so `WorkerAgent` and the Ray actor drive either; only feed-forward models.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from envs.cartpole_tf import CartPoleTF
from memory import n_step_returns
from models import ActorCritic
from worker.core import Episode
from worker.hyperparams import Hyperparams
from worker.loss import STAT_NAMES, clipped_flat_gradients
from worker.weight_sync import WeightSync

RNG_KIND = "tf-philox"  # what `rng_state` holds, so a checkpoint of another core's sampler is recognised


def _flat(x: tf.Tensor) -> tf.Tensor:
    """[t_max, E, ...] -> [t_max * E, ...], the batch layout the loss takes."""
    return tf.reshape(x, [-1, *x.shape[2:]])


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
        self.hp = hp
        self.env = env
        self.num_envs = env.num_envs
        self.weights = WeightSync(local_model.trainable_variables, global_variables)
        self.sampler = tf.random.Generator.from_seed(seed)
        self.obs = tf.Variable(tf.zeros([self.num_envs, *env.obs_shape]), trainable=False)
        self.prev_done = tf.Variable(tf.zeros([self.num_envs], tf.bool), trainable=False)
        self.episode_return = tf.Variable(tf.zeros([self.num_envs], tf.float64), trainable=False)
        self.episode_length = tf.Variable(tf.zeros([self.num_envs], tf.int32), trainable=False)
        self._update = tf.function(self._update_graph, input_signature=[], jit_compile=True).get_concrete_function()
        self._grads: tf.Tensor | None = None
        self._stats: tf.Tensor | None = None

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

    # --- the graph ----------------------------------------------------------------------------
    def _sample(self, logits):
        """a ~ softmax(logits) for every environment at once (Gumbel-max trick, as `WorkerCore.sample`)."""
        uniform = self.sampler.uniform(tf.shape(logits), minval=np.finfo(np.float32).tiny, maxval=1.0)
        return tf.argmax(logits - tf.math.log(-tf.math.log(uniform)), axis=1, output_type=tf.int32)

    def _rollout_graph(self):
        """One rollout of t_max steps, exactly as `WorkerCore.collect`: [t_max, E] tensors and V(last obs)."""
        obs, prev_done = self.obs.read_value(), self.prev_done.read_value()
        episode_return, episode_length = self.episode_return.read_value(), self.episode_length.read_value()
        ro = {name: [] for name in ("obs", "actions", "rewards", "terminated", "truncated", "valid",
                                    "final_values", "ended", "ended_return", "ended_length")}
        for t in range(self.hp.t_max):
            logits, values = self.model(obs)
            if t > 0:  # a truncated episode's final observation is this step's input
                ro["final_values"].append(tf.where(ro["truncated"][-1], values, 0.0))
            actions = self._sample(logits)
            next_obs, rewards, terminated, truncated = self.env.step(actions)
            valid = ~prev_done  # False on a reset step: no transition, no part in the loss
            episode_return += tf.cast(rewards, tf.float64)
            episode_length += tf.cast(valid, tf.int32)
            done = terminated | truncated
            for name, value in (("obs", obs), ("actions", actions), ("terminated", terminated),
                                ("truncated", truncated), ("valid", valid), ("ended", done),
                                ("ended_return", episode_return), ("ended_length", episode_length),
                                ("rewards", tf.clip_by_value(rewards, -1.0, 1.0) if self.hp.clip_rewards else rewards)):
                ro[name].append(value)
            episode_return = tf.where(done, tf.zeros_like(episode_return), episode_return)
            episode_length = tf.where(done, tf.zeros_like(episode_length), episode_length)
            prev_done, obs = done, next_obs
        _, last_values = self.model(obs)
        ro["final_values"].append(tf.where(ro["truncated"][-1], last_values, 0.0))
        self.obs.assign(obs)
        self.prev_done.assign(prev_done)
        self.episode_return.assign(episode_return)
        self.episode_length.assign(episode_length)
        return {name: tf.stack(steps) for name, steps in ro.items()}, last_values

    def _update_graph(self):
        """A rollout, its returns and its gradients."""
        ro, last_values = self._rollout_graph()
        returns = n_step_returns(
            ro["rewards"], ro["terminated"], ro["truncated"], ro["final_values"], last_values, self.hp.gamma
        )
        mask = tf.cast(ro["valid"], tf.float32)
        grads, stats = clipped_flat_gradients(
            self.model, _flat(ro["obs"]), (), None, _flat(ro["actions"]), _flat(returns), _flat(mask), self.hp
        )
        steps = tf.reduce_sum(tf.cast(ro["valid"], tf.int32))
        return grads, stats, ro["ended"], ro["ended_return"], ro["ended_length"], steps

    # --- steps of the algorithm ---------------------------------------------------------------
    def pull(self) -> None:
        """Copy the global weights into the local model (in-graph assigns)."""
        self.weights.pull()

    def load_flat(self, flat_weights: np.ndarray) -> None:
        """Set the local model from the global weights sent as one flat vector (model variable order)."""
        self.weights.load_flat(flat_weights)

    def collect(self) -> tuple[list[Episode], int]:
        """Act for t_max steps in every environment; return finished episodes and env steps taken.

        The same call computes this rollout's gradients, which `gradients` returns.
        """
        self._grads, self._stats, ended, ended_return, ended_length, steps = self._update()
        ended = ended.numpy()
        finished = []
        if ended.any():  # in step order, then environment order, as WorkerCore reports them
            returns, lengths = ended_return.numpy()[ended], ended_length.numpy()[ended]
            finished = [Episode(float(r), int(n)) for r, n in zip(returns, lengths)]
        return finished, int(steps)

    def gradients(self) -> tuple[tf.Tensor, dict[str, float]]:
        """Gradients of the A3C loss on the last rollout, clipped by global norm, as one flat vector."""
        if self._grads is None:
            raise RuntimeError("collect a rollout first")
        return self._grads, dict(zip(STAT_NAMES, self._stats.numpy().tolist()))

    @property
    def rng_state(self) -> dict:
        """The action sampler's state: checkpointed so a resumed run samples on from where it stopped."""
        return {"kind": RNG_KIND, "state": self.sampler.state.numpy().tolist()}

    @rng_state.setter
    def rng_state(self, state: dict) -> None:
        if state.get("kind") != RNG_KIND:
            raise ValueError("the checkpoint's sampler state is not a TensorFlow Philox state")
        self.sampler.state.assign(np.asarray(state["state"], dtype=np.int64))
