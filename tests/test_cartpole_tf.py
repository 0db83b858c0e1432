"""The TensorFlow CartPole and the one-graph worker: gymnasium's dynamics step for step, the same rollout
rules as the NumPy worker, and gradients equal to the loss's on the rollout it played."""

import gymnasium as gym
import keras
import numpy as np
import pytest
import tensorflow as tf

from envs.cartpole_tf import CartPoleTF
from envs.registry import resolve_game
from master_agent.shared_optimizer import SharedOptimizer
from models import Categorical, build_model
from worker import Hyperparams
from worker.core import a3c_gradients
from worker.graph_core import GraphWorkerCore


def gymnasium_cartpole(num_envs: int):
    env = gym.make_vec("CartPole-v1", num_envs=num_envs, vectorization_mode="vector_entry_point")
    env.reset(seed=0)
    return env.unwrapped


def copy_state(ours: CartPoleTF, theirs) -> None:
    theirs.state = ours.state.numpy().copy()
    theirs.steps = ours.steps.numpy().copy()
    theirs.prev_done = ours.prev_done.numpy().copy()


def test_every_step_matches_gymnasium_including_ends_time_limits_and_resets():
    num_envs = 64
    ours, theirs = CartPoleTF("CartPole-v1", num_envs, seed=3), gymnasium_cartpole(num_envs)
    assert ours.max_episode_steps == theirs.max_episode_steps == 500
    ours.reset()
    # Start some environments near the time limit, so truncations happen within the test.
    ours.steps.assign(np.random.default_rng(0).integers(480, 500, num_envs).astype(np.int32))
    step = tf.function(ours.step)  # as the worker runs it: inside a graph
    rng = np.random.default_rng(1)
    seen = {"terminated": 0, "truncated": 0, "reset": 0}
    for _ in range(600):
        copy_state(ours, theirs)
        resetting = theirs.prev_done.copy()
        actions = rng.integers(0, 2, num_envs)
        obs, rewards, terminated, truncated = (x.numpy() for x in step(tf.constant(actions, tf.int32)))
        their_obs, their_rewards, their_terminated, their_truncated, _ = theirs.step(actions)
        np.testing.assert_array_equal(rewards, their_rewards)
        np.testing.assert_array_equal(terminated, their_terminated)
        np.testing.assert_array_equal(truncated, their_truncated)
        moving = ~resetting
        np.testing.assert_allclose(obs[moving], their_obs[moving], rtol=1e-6, atol=1e-7)
        assert np.all(np.abs(obs[resetting]) <= 0.05)  # a new episode's first observation
        np.testing.assert_array_equal(ours.steps.numpy(), theirs.steps)
        seen["terminated"] += terminated.sum()
        seen["truncated"] += truncated.sum()
        seen["reset"] += resetting.sum()
    assert min(seen.values()) > 10, seen  # every rule was exercised


def test_cartpole_v0_keeps_its_own_time_limit_and_other_games_have_no_port():
    assert CartPoleTF("CartPole-v0", 2).max_episode_steps == 200
    with pytest.raises(ValueError, match="no TensorFlow port"):
        CartPoleTF("Acrobot-v1", 2)


@pytest.fixture
def graph_core():
    keras.utils.set_random_seed(0)  # the same network every run
    hp = Hyperparams(gamma=0.9, t_max=6, envs_per_worker=8)
    optimizer = SharedOptimizer(build_model("mlp", (4,), Categorical(2), name="global"), 1e-2)
    env = CartPoleTF(resolve_game("CartPole-v1").game_id, hp.envs_per_worker, seed=5)
    core = GraphWorkerCore(build_model("mlp", (4,), Categorical(2), name="local"), optimizer.variables, env, hp, seed=5)
    core.pull()
    return core, hp


def state_variables(core: GraphWorkerCore) -> list[tf.Variable]:
    env = core.env
    return [
        env.state,
        env.steps,
        env.prev_done,
        env.rng.state,
        core.obs,
        core.prev_done,
        core.episode_return,
        core.episode_length,
        core.sampler.state,
    ]


def snapshot(core: GraphWorkerCore) -> list[np.ndarray]:
    return [v.numpy() for v in state_variables(core)]


def restore(core: GraphWorkerCore, values: list[np.ndarray]) -> None:
    for variable, value in zip(state_variables(core), values):
        variable.assign(value)


def test_one_graph_update_is_the_rollout_gymnasium_would_play_and_the_loss_gradient_of_it(graph_core):
    core, hp = graph_core
    # Two environments one step from the time limit, one whose episode already ended (a reset step first).
    core.env.steps.assign([499, 499, 0, 0, 0, 0, 0, 0])
    core.prev_done.assign([False, False, True, False, False, False, False, False])
    core.env.prev_done.assign(core.prev_done)
    start = snapshot(core)
    theirs = gymnasium_cartpole(hp.envs_per_worker)
    copy_state(core.env, theirs)

    batch, ended = tf.function(core._rollout_graph, jit_compile=True)()  # the same rollout, to inspect
    ro = {k: v.numpy() for k, v in batch._asdict().items() if k != "state0"}
    restore(core, start)
    update = core.update()
    episodes, steps, grads, stats = update.episodes, update.steps, update.grads, update.stats

    # The environment side, replayed in gymnasium with the same actions.
    for t in range(hp.t_max):
        resetting = theirs.prev_done.copy()
        _, rewards, terminated, truncated, _ = theirs.step(ro["actions"][t])
        np.testing.assert_array_equal(ro["rewards"][t], rewards)
        np.testing.assert_array_equal(ro["terminated"][t], terminated)
        np.testing.assert_array_equal(ro["truncated"][t], truncated)
        np.testing.assert_array_equal(ro["valid"][t], ~resetting)
    assert ro["truncated"][0, :2].all() and not ro["valid"][0, 2]

    # Truncated at t: bootstrap from V(final observation), the next step's input.
    _, v_final = core.model(ro["obs"][1])
    np.testing.assert_allclose(ro["final_values"][0, :2], v_final.numpy()[:2], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ro["final_values"][0, 2:], 0.0)

    # Episodes: the truncated pair at 500 steps each, then every one that ended (CartPole pays 1 per step).
    assert steps == ro["valid"].sum()
    assert [(e.episode_return, e.length) for e in episodes[:2]] == [(1.0, 1), (1.0, 1)]
    assert len(episodes) == ended["ended"].numpy().sum()
    assert all(e.episode_return == e.length for e in episodes)

    # The gradient the graph computed is the loss's gradient on exactly this rollout.
    expected, expected_stats = a3c_gradients(core.model, batch, hp)
    # (XLA and eager TensorFlow round differently: equal to float32 noise, not bit for bit.)
    np.testing.assert_allclose(grads.numpy(), expected.numpy(), rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(list(stats.values()), expected_stats.numpy(), rtol=1e-4, atol=1e-5)
    assert np.abs(grads.numpy()).sum() > 0


def test_restored_sampler_state_replays_the_same_actions(graph_core):
    core, _ = graph_core
    state = core.rng_state
    start = snapshot(core)
    first = core.update().grads
    restore(core, start)
    core.rng_state = state
    second = core.update().grads
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    with pytest.raises(ValueError, match="Philox"):
        core.rng_state = np.random.default_rng(0).bit_generator.state
