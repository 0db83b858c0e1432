"""models.build_model: the actor-critic network the master and every worker use."""

import numpy as np
import pytest

from models import build_model


@pytest.mark.parametrize("obs_shape, n_actions, batch", [((4,), 2, 1), ((4,), 2, 7), ((8,), 6, 3)])
def test_output_shapes(obs_shape, n_actions, batch):
    model = build_model(obs_shape, n_actions)
    logits, value = model(np.random.default_rng(0).normal(size=(batch, *obs_shape)).astype(np.float32))
    assert tuple(logits.shape) == (batch, n_actions)
    assert tuple(value.shape) == (batch,)
    assert np.all(np.isfinite(logits.numpy())) and np.all(np.isfinite(value.numpy()))


def test_variables_exist_before_any_thread_runs():
    # DESIGN: no worker thread may create variables, so build_model returns a model already built.
    model = build_model((4,), 2)
    assert model.built
    assert len(model.trainable_variables) > 0
    n_before = len(model.variables)
    model(np.zeros((5, 4), np.float32))
    assert len(model.variables) == n_before


def test_two_models_have_pairable_variables():
    # A worker's local copy pairs its variables with the global model's, one to one and in order.
    global_model, local_model = build_model((4,), 2, name="global"), build_model((4,), 2, name="local_0")
    assert [v.shape for v in global_model.trainable_variables] == [v.shape for v in local_model.trainable_variables]
    local_model.set_weights(global_model.get_weights())
    obs = np.random.default_rng(1).normal(size=(4, 4)).astype(np.float32)
    for a, b in zip(global_model(obs), local_model(obs)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


# Image networks (CNN, CNN + LSTM: shapes, state carry, replay) are covered in test_atari.py.
