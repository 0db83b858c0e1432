"""The lock-guarded shared optimizer and the global step counter, hammered by threads."""

import sys
import threading

import numpy as np
import pytest
import tensorflow as tf

from master_agent.shared_optimizer import SharedOptimizer, StepCounter
from models import Categorical, build_model

THREADS = 8
UPDATES_PER_THREAD = 25
LR = 1e-3


def constant_grads(optimizer: SharedOptimizer, value: float):
    """A gradient of `value` for every weight, in the form `SharedOptimizer.apply` takes.

    One tensor per variable, or (when the optimizer advertises `num_params`) one flat vector of the
    variables in model order.
    """
    per_variable = [np.full(v.shape, value, dtype=np.float32) for v in optimizer.variables]
    if hasattr(optimizer, "num_params"):
        return tf.constant(np.concatenate([g.ravel() for g in per_variable]))
    return [tf.constant(g) for g in per_variable]


@pytest.fixture
def fast_thread_switching():
    """Switch threads as often as possible, so a missing lock shows up as lost updates."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def run_threads(target, n=THREADS):
    barrier = threading.Barrier(n)
    errors = []

    def body(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - any failure in a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == []


def test_concurrent_applies_are_all_counted_and_all_land(fast_thread_switching):
    model = build_model("mlp", (4,), Categorical(2))
    optimizer = SharedOptimizer(model, LR)
    before = [w.copy() for w in model.get_weights()]
    grads = constant_grads(optimizer, 1.0)
    start = optimizer.flat_weights()
    seen = []  # (updates so far, global weights) as a worker's pull reads them: under the lock

    def worker(_):
        for _ in range(UPDATES_PER_THREAD):
            optimizer.apply(grads)
            with optimizer.lock:
                seen.append((optimizer.iterations, optimizer.flat_weights()))

    run_threads(worker)

    total = THREADS * UPDATES_PER_THREAD
    assert optimizer.updates == total
    assert optimizer.iterations == total
    # A read under the lock is never half-way through an apply: every weight has moved by the same k * lr.
    for k, weights in seen:
        np.testing.assert_allclose(start - weights, k * LR, rtol=1e-3)
    # Adam with a constant gradient g moves every weight by exactly lr per step (m_hat/sqrt(v_hat) = 1),
    # so after `total` updates every weight is `total * lr` lower: no update was lost or half applied.
    after = model.get_weights()
    for w0, w1 in zip(before, after):
        np.testing.assert_allclose(w0 - w1, total * LR, rtol=1e-3)


def test_optimizer_updates_the_global_models_own_variables():
    model = build_model("mlp", (4,), Categorical(2))
    optimizer = SharedOptimizer(model, LR)
    assert [id(v) for v in optimizer.variables] == [id(v) for v in model.trainable_variables]
    obs = np.ones((3, 4), np.float32)
    logits_before, value_before = (t.numpy() for t in model(obs))
    optimizer.apply(constant_grads(optimizer, -1.0))  # negative gradient: every weight goes up by lr
    logits_after, value_after = (t.numpy() for t in model(obs))
    assert optimizer.updates == optimizer.iterations == 1
    assert not np.allclose(value_before, value_after)
    assert not np.allclose(logits_before, logits_after)


def test_step_counter_loses_no_increment_under_threads(fast_thread_switching):
    counter = StepCounter()
    adds_per_thread = 5_000
    returned = [[] for _ in range(THREADS)]

    def worker(i):
        out = returned[i]
        for k in range(adds_per_thread):
            out.append(counter.add(1 + k % 3))  # steps of 1, 2, 3

    run_threads(worker)
    per_thread = sum(1 + k % 3 for k in range(adds_per_thread))
    assert counter.value == THREADS * per_thread
    # Each add returns the running total right after it: all distinct, the largest is the total.
    flat = [v for out in returned for v in out]
    assert len(set(flat)) == len(flat)
    assert max(flat) == counter.value


def test_step_counter_starts_where_told():
    counter = StepCounter(start=100)
    assert counter.add(5) == 105
    assert counter.value == 105
