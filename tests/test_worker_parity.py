"""The in-graph CartPole core is a speed-up of the reference core, not another algorithm: driven with the same
scripted actions from the same starting states, both produce the same rollout (rewards, ends, valid mask,
bootstrap values), the same n-step returns, and the same loss and gradients."""

import gymnasium as gym
import keras
import numpy as np
import tensorflow as tf

from envs.cartpole_tf import CartPoleTF
from master_agent.shared_optimizer import SharedOptimizer
from models import Categorical, build_model
from worker import Hyperparams
from worker.core import WorkerCore, n_step_returns
from worker.graph_core import GraphWorkerCore

E, T_MAX, UPDATES = 4, 6, 2
RESET_STATE = 0.01  # every episode starts here in both implementations, so resets cannot tell them apart


class ScriptedActions(Categorical):
    """A categorical policy whose draws are replaced by a fixed script, the same for both cores: the n-th
    `sample` (in a graph) or `sample_numpy` call returns row n of `script`."""

    def __init__(self, script: np.ndarray) -> None:
        super().__init__(2)
        self.script = script.astype(np.int32)
        self.graph_calls = tf.Variable(0)
        self.numpy_calls = 0

    def sample(self, params, generator):
        row = self.graph_calls.assign_add(1) - 1
        return tf.gather(tf.constant(self.script), row)

    def sample_numpy(self, params, rng):
        self.numpy_calls += 1
        return self.script[self.numpy_calls - 1]


class FixedResets:
    """Stands in for gymnasium's `np_random` in CartPole's vector env: every reset state is RESET_STATE."""

    def uniform(self, low, high, size):
        return np.full(size, RESET_STATE)


def start_states() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(state [4, E], steps, prev_done): envs 0-1 are 3 steps from the time limit (truncations), env 2's
    episode has just ended (a reset step first), env 3 is about to leave the track (a termination)."""
    state = np.full((4, E), 0.02)
    state[0, 3], state[1, 3] = 2.39, 1.0  # x near the 2.4 threshold, moving right
    return state, np.array([497, 497, 0, 5], np.int32), np.array([False, False, True, False])


def test_both_cores_compute_the_same_update_from_the_same_actions_and_states():
    keras.utils.set_random_seed(0)
    hp = Hyperparams(gamma=0.9, t_max=T_MAX, envs_per_worker=E, entropy_beta=0.01, value_coef=0.5, max_grad_norm=40.0)
    script = np.random.default_rng(0).integers(0, 2, (UPDATES * T_MAX, E))
    distribution = ScriptedActions(script)
    optimizer = SharedOptimizer(build_model("mlp", (4,), Categorical(2), name="global"), 1e-3)

    ours = CartPoleTF("CartPole-v1", E)
    ours._reset_states = lambda: tf.fill([4, E], tf.constant(RESET_STATE, tf.float64))
    graph = GraphWorkerCore(build_model("mlp", (4,), distribution, name="graph"), optimizer.variables, ours, hp, 0)
    vector_env = gym.make_vec("CartPole-v1", num_envs=E, vectorization_mode="vector_entry_point")
    reference = WorkerCore(
        build_model("mlp", (4,), distribution, name="reference"), optimizer.variables, vector_env, hp, 0
    )
    theirs = vector_env.unwrapped
    theirs._np_random = FixedResets()

    # The same starting point for both: environment state, last observation, episode bookkeeping, weights.
    state, steps, prev_done = start_states()
    obs = state.T.astype(np.float32)
    for variable, value in (
        (ours.state, state),
        (ours.steps, steps),
        (ours.prev_done, prev_done),
        (graph.obs, obs),
        (graph.prev_done, prev_done),
    ):
        variable.assign(value)
    theirs.state, theirs.steps, theirs.prev_done = state.copy(), steps.copy(), prev_done.copy()
    reference.obs, reference.prev_done = obs.copy(), prev_done.copy()
    graph.pull()
    reference.pull()
    distribution.graph_calls.assign(0)  # the graph core's warm-up call drew from the script too

    rollout_graph = tf.function(graph._rollout_graph)
    graph_state = (ours.state, ours.steps, ours.prev_done, graph.obs, graph.prev_done, graph.episode_return,
                   graph.episode_length, distribution.graph_calls)  # fmt: skip
    for update in range(UPDATES):
        # The graph core's rollout, looked at from outside its compiled update, then undone and run for real.
        saved = [v.numpy() for v in graph_state]
        batch, _ = rollout_graph()
        for variable, value in zip(graph_state, saved):
            variable.assign(value)
        graph_update, reference_update = graph.update(), reference.update()
        ro = reference.rollout

        np.testing.assert_array_equal(batch.actions.numpy(), ro.actions)  # the script, for both
        np.testing.assert_array_equal(batch.rewards.numpy(), ro.rewards)
        np.testing.assert_array_equal(batch.terminated.numpy(), ro.terminated)
        np.testing.assert_array_equal(batch.truncated.numpy(), ro.truncated)
        np.testing.assert_array_equal(batch.valid.numpy(), ro.valid)
        np.testing.assert_allclose(batch.obs.numpy(), ro.obs, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(batch.final_values.numpy(), ro.final_values, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(batch.last_values.numpy(), reference.last_values, rtol=1e-5, atol=1e-6)
        graph_returns = n_step_returns(
            batch.rewards, batch.terminated, batch.truncated, batch.final_values, batch.last_values, hp.gamma
        )
        reference_returns = n_step_returns(
            ro.rewards, ro.terminated, ro.truncated, ro.final_values, reference.last_values, hp.gamma
        )
        np.testing.assert_allclose(graph_returns.numpy(), reference_returns.numpy(), rtol=1e-5, atol=1e-5)

        assert graph_update.steps == reference_update.steps == ro.valid.sum()
        assert graph_update.episodes == reference_update.episodes
        assert graph_update.stats.keys() == reference_update.stats.keys()
        np.testing.assert_allclose(
            list(graph_update.stats.values()), list(reference_update.stats.values()), rtol=1e-4, atol=1e-5
        )  # XLA and eager round differently: float32 noise
        np.testing.assert_allclose(
            np.asarray(graph_update.grads), np.asarray(reference_update.grads), rtol=1e-3, atol=1e-5
        )

        if update == 0:  # what the script was written to exercise actually happened
            assert ro.truncated[:, :2].any() and ro.terminated[:, 3].any() and not ro.valid[0, 2]
            assert np.any(ro.final_values[ro.truncated] != 0.0)  # truncations bootstrap from V(final obs)
        optimizer.apply(reference_update.grads)  # the next update starts from new weights, as in training
        graph.pull()
        reference.pull()
