"""The worker: its rollout plumbing (WorkerCore) and the thread harness (WorkerAgent)."""

import queue
import threading
import time

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from master_agent.shared_optimizer import SharedOptimizer, StepCounter
from models import Categorical, build_model
from worker import Hyperparams
from worker.core import Episode, Update, WorkerCore
from worker.thread import MAX_CONSECUTIVE_NONFINITE, EpisodeResult, UpdateStats, WorkerAgent, WorkerFailure

# --- WorkerCore on a real environment --------------------------------------------------------------


def cartpole_with_time_limit(num_envs: int, limit: int):
    """CartPole cut by a short time limit: every episode ends *truncated* (random play lasts ~8+ steps)."""
    return gym.make_vec(
        "CartPole-v1",
        num_envs=num_envs,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.NEXT_STEP},
        max_episode_steps=limit,
    )


@pytest.fixture
def core_and_models():
    global_model = build_model("mlp", (4,), Categorical(2), name="global")
    local_model = build_model("mlp", (4,), Categorical(2), name="local_0")
    optimizer = SharedOptimizer(global_model, 1e-2)
    hp = Hyperparams(gamma=0.9, t_max=8, envs_per_worker=2)
    core = WorkerCore(local_model, optimizer.variables, cartpole_with_time_limit(2, 3), hp, seed=123)
    yield core, local_model, global_model, optimizer
    core.env.close()


def test_truncated_episodes_bootstrap_from_the_value_of_their_final_observation(core_and_models):
    core, local_model, global_model, _ = core_and_models
    core.pull()
    episodes, steps = core.collect()
    ro = core.rollout

    # Steps 0-2: episode (truncated at 2); 3: reset step, no transition; 4-6: episode; 7: reset step.
    truncated_at = np.array([False, False, True, False, False, False, True, False])
    valid = np.array([True, True, True, False, True, True, True, False])
    for e in range(2):
        np.testing.assert_array_equal(ro.truncated[:, e], truncated_at)
        np.testing.assert_array_equal(ro.terminated[:, e], False)
        np.testing.assert_array_equal(ro.valid[:, e], valid)
    assert steps == 2 * 6  # only real transitions count as environment steps
    assert sorted((ep.episode_return, ep.length) for ep in episodes) == [(3.0, 3)] * 4

    # In NEXT_STEP mode the reset step's stored observation is the final observation of the episode
    # before it: final_values must hold V(that observation), computed by the (pulled) network.
    _, v_final = local_model(ro.obs[3])
    np.testing.assert_allclose(ro.final_values[2], v_final.numpy(), rtol=1e-4, atol=1e-5)
    _, v_final = local_model(ro.obs[7])
    np.testing.assert_allclose(ro.final_values[6], v_final.numpy(), rtol=1e-4, atol=1e-5)
    assert np.any(ro.final_values[2] != 0.0)  # a real bootstrap, not the terminal 0


def test_gradients_push_into_global_model_and_pull_brings_them_back(core_and_models):
    core, local_model, global_model, optimizer = core_and_models
    core.pull()
    for a, b in zip(local_model.get_weights(), global_model.get_weights()):
        np.testing.assert_array_equal(a, b)
    before = [w.copy() for w in global_model.get_weights()]

    update = core.update()
    assert np.isfinite(update.stats["loss"]) and np.isfinite(update.stats["grad_norm"])
    optimizer.apply(update.grads)
    core.pull()

    after = global_model.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(before, after)), "global weights did not move"
    for a, b in zip(local_model.get_weights(), after):
        np.testing.assert_array_equal(a, b)

    # The next rollout acts with the pulled weights, not a stale copy: V(obs the rollout was cut at)
    # is what the global network says now.
    core.collect()
    _, v_now = global_model(np.asarray(core.obs, np.float32))
    np.testing.assert_allclose(core.last_values, v_now.numpy(), rtol=1e-4, atol=1e-5)


# --- WorkerAgent, the thread harness, with a stand-in core ----------------------------------------


class FakeCore:
    """Keeps the worker contract (`worker.core.Core`): one finished episode of `length` steps per update."""

    def __init__(self, length=10, fail_after=None, grad_norm=1.0):
        self.length, self.fail_after, self.grad_norm = length, fail_after, grad_norm
        self.collects = self.pulls = 0
        self.sink = None
        self.pulls_outside_the_lock = 0

    def pull(self):
        self.pulls += 1
        self.pulls_outside_the_lock += not self.sink.lock.locked()

    def update(self):
        self.collects += 1
        if self.fail_after is not None and self.collects > self.fail_after:
            raise RuntimeError("boom in the environment")
        return Update(
            "grads", {"grad_norm": self.grad_norm, "loss": 0.0}, [Episode(float(self.length), self.length)], self.length
        )


class HeldLock:
    """A re-entrant lock (as the shared optimizer's) that knows whether anyone is inside it."""

    def __init__(self):
        self._lock, self.depth = threading.RLock(), 0

    def __enter__(self):
        self._lock.acquire()
        self.depth += 1

    def __exit__(self, *exc):
        self.depth -= 1
        self._lock.release()

    def locked(self) -> bool:
        return self.depth > 0


class RecordingSink:
    def __init__(self):
        self.applied = 0
        self.lock = HeldLock()

    def apply(self, grads):
        with self.lock:
            self.applied += 1


def start_agent(core, worker_id=3):
    sink, counter, results, stop = RecordingSink(), StepCounter(), queue.Queue(), threading.Event()
    core.sink = sink
    agent = WorkerAgent(worker_id, core, sink, counter, results, stop)
    agent.start()
    return agent, sink, counter, results, stop


def test_worker_exception_reaches_the_master_instead_of_dying_silently():
    agent, sink, counter, results, stop = start_agent(FakeCore(fail_after=2))
    agent.join(timeout=10)
    assert not agent.is_alive()
    items = []
    while not results.empty():
        items.append(results.get_nowait())
    assert [type(i) for i in items] == [EpisodeResult, EpisodeResult, WorkerFailure]
    failure = items[-1]
    assert failure.worker == 3
    assert "RuntimeError: boom in the environment" in failure.error
    assert "Traceback" in failure.traceback
    assert sink.applied == 2 and counter.value == 20


def test_worker_stops_on_the_shared_event_and_reports_episodes():
    agent, sink, counter, results, stop = start_agent(FakeCore(length=7))
    deadline = time.monotonic() + 10
    while results.qsize() < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    stop.set()
    agent.join(timeout=10)
    assert not agent.is_alive()
    everything = [results.get_nowait() for _ in range(results.qsize())]
    items = [i for i in everything if isinstance(i, EpisodeResult)]
    assert all(isinstance(i, (EpisodeResult, UpdateStats)) for i in everything)  # stats every 50 updates
    assert len(items) >= 3
    assert {(i.worker, i.episode_return, i.length) for i in items} == {(3, 7.0, 7)}
    assert [i.global_step for i in items] == [7 * (k + 1) for k in range(len(items))]
    assert counter.value == 7 * len(items) == 7 * agent.core.collects
    # Pull, update, apply, count: each a consistent read under the optimizer's lock, one before the first update
    # and one after each apply (the update a stop interrupted may not have been applied yet).
    assert agent.core.pulls_outside_the_lock == 0
    assert agent.core.pulls == sink.applied + 1 and agent.core.collects - sink.applied in (0, 1)


def test_non_finite_gradients_are_never_applied():
    core = FakeCore(grad_norm=float("nan"))
    agent, sink, counter, results, stop = start_agent(core)
    deadline = time.monotonic() + 10
    while core.collects < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    stop.set()
    agent.join(timeout=10)
    assert sink.applied == 0
    assert agent.skipped_updates >= 3
    assert core.pulls >= agent.skipped_updates  # the worker still resyncs with the global model


def test_persistent_non_finite_gradients_stop_the_worker_with_an_unrecoverable_failure():
    core = FakeCore(grad_norm=float("inf"))
    agent, sink, counter, results, stop = start_agent(core)
    agent.join(timeout=10)
    assert not agent.is_alive() and sink.applied == 0
    assert agent.skipped_updates == MAX_CONSECUTIVE_NONFINITE
    failures = [i for i in (results.get_nowait() for _ in range(results.qsize())) if isinstance(i, WorkerFailure)]
    assert len(failures) == 1 and not failures[0].recoverable and "non-finite" in failures[0].error
