"""models.build_model: the actor-critic network the master and every worker use, chosen by name."""

import numpy as np
import pytest

from conftest import outputs_of_keras_file
from models import Categorical, ModelError, NumpyMLPActor, build_model, choose_network, network_of
from models.distributions import DiagGaussian


def mlp(obs_dim: int = 4, n_actions: int = 2, name: str = "actor_critic"):
    return build_model("mlp", (obs_dim,), Categorical(n_actions), name=name)


@pytest.mark.parametrize("obs_dim, n_actions, batch", [(4, 2, 1), (4, 2, 7), (8, 6, 3)])
def test_output_shapes(obs_dim, n_actions, batch):
    model = mlp(obs_dim, n_actions)
    params, value = model(np.random.default_rng(0).normal(size=(batch, obs_dim)).astype(np.float32))
    assert tuple(params.shape) == (batch, n_actions)  # a categorical policy's parameters: one logit per action
    assert tuple(value.shape) == (batch,)
    assert np.all(np.isfinite(params.numpy())) and np.all(np.isfinite(value.numpy()))


def test_variables_exist_before_any_thread_runs():
    # DESIGN: no worker thread may create variables, so build_model returns a model already built.
    model = mlp()
    assert model.built
    assert len(model.trainable_variables) > 0
    n_before = len(model.variables)
    model(np.zeros((5, 4), np.float32))
    assert len(model.variables) == n_before


def test_two_models_have_pairable_variables():
    # A worker's local copy pairs its variables with the global model's, one to one and in order.
    global_model, local_model = mlp(name="global"), mlp(name="local_0")
    assert [v.shape for v in global_model.trainable_variables] == [v.shape for v in local_model.trainable_variables]
    local_model.set_weights(global_model.get_weights())
    obs = np.random.default_rng(1).normal(size=(4, 4)).astype(np.float32)
    for a, b in zip(global_model(obs), local_model(obs)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


def test_the_network_is_the_one_asked_for_not_guessed_from_the_observation():
    assert choose_network(image_game=False, cnn_lstm=False) == "mlp"
    assert choose_network(image_game=True, cnn_lstm=False) == "cnn"
    assert choose_network(image_game=True, cnn_lstm=True) == "cnn_lstm"
    # A saved run's recorded class name wins; runs that recorded none fall back to the same choice.
    assert network_of("CNNLSTMActorCritic", image_game=True, cnn_lstm=False) == "cnn_lstm"
    assert network_of(None, image_game=True, cnn_lstm=True) == "cnn_lstm"
    # Observations the chosen network does not take are refused, not routed to another network.
    with pytest.raises(ModelError, match="MLPActorCritic takes observations of rank 1, not of shape \\(84, 84\\)"):
        build_model("mlp", (84, 84), Categorical(4))
    with pytest.raises(ModelError, match="CNNActorCritic"):
        build_model("cnn", (4,), Categorical(2))


GAUSSIAN_STATE_INDEPENDENT = DiagGaussian([-1.0, -1.0], [1.0, 1.0], "state-independent", "clip")
GAUSSIAN_STATE_DEPENDENT = DiagGaussian([-1.0, -1.0], [1.0, 1.0], "state-dependent", "clip")


@pytest.mark.parametrize(
    "distribution", [Categorical(3), GAUSSIAN_STATE_INDEPENDENT, GAUSSIAN_STATE_DEPENDENT], ids=repr
)
def test_numpy_mirror_of_the_mlp_acts_exactly_as_the_keras_model(distribution):
    """Workers and --eval act through the NumPy copy of the MLP: it must compute the Keras model's outputs,
    before and after the weights change (a pull loads new ones), whatever the policy head."""
    model = build_model("mlp", (6,), distribution)
    actor = NumpyMLPActor(model)
    obs = np.random.default_rng(2).normal(size=(16, 6)).astype(np.float32)
    for _ in range(2):
        params, values, state = actor(obs, ())
        keras_params, keras_values = model(obs)
        # atol: outputs near zero are differences of terms of size ~5, where float32 sums in another order (oneDNN
        # picks its own) differ by ~1e-6; stale weights would differ by ~1.
        np.testing.assert_allclose(params, keras_params.numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(values, keras_values.numpy(), rtol=1e-5, atol=1e-5)
        assert state == () and params.shape == (16, distribution.param_size) and values.shape == (16,)
        # New weights (large enough that stale ones would show), loaded as a pull does.
        rng = np.random.default_rng(3)
        model.set_weights([w + rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()])
        actor.load([np.asarray(v) for v in model.trainable_variables])


@pytest.mark.parametrize(
    "network, obs_shape, distribution, activation, layer_norm",
    [
        ("mlp", (6,), Categorical(3), "relu", False),
        ("cnn", (4, 84, 84), Categorical(3), "relu", True),
        ("cnn_lstm", (84, 84), Categorical(3), "relu", False),
        ("cnn_lstm", (84, 84), Categorical(3), "relu", True),
        ("cnn_lstm", (84, 84), Categorical(3), "elu", True),
        ("mlp", (6,), GAUSSIAN_STATE_INDEPENDENT, "relu", False),
    ],
)
def test_keras_file_round_trip_in_a_fresh_process(network, obs_shape, distribution, activation, layer_norm, tmp_path):
    """Model.save -> keras.saving.load_model elsewhere (after `import models`): same class, same outputs (an ELU
    network read back with ReLU, or one with LayerNorm read back without it, would not give them)."""
    model = build_model(network, obs_shape, distribution, "global", activation, layer_norm)
    if layer_norm:  # a LayerNorm away from its initial unit gain shows the file carried it
        model.trunk.norm.gamma.assign(np.linspace(0.5, 2.0, 256, dtype=np.float32))
    if distribution is GAUSSIAN_STATE_INDEPENDENT:  # a log-std away from its initial zeros shows the file carried it
        model.policy_head.log_std.assign([-0.5, 0.3])
    model.save(tmp_path / "model.keras")
    dtype = np.float32 if network == "mlp" else np.uint8
    obs = np.random.default_rng(0).integers(0, 256, (2, *obs_shape)).astype(dtype)
    params, values = outputs_of_keras_file(tmp_path / "model.keras", obs, tmp_path)
    expected_params, expected_values = model(obs)
    # Different draws of the initial weights would differ by far more: the file carried the weights.
    np.testing.assert_allclose(params, expected_params.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(values, expected_values.numpy(), rtol=1e-6, atol=1e-6)


# Image networks (CNN, CNN + LSTM: shapes, state carry, replay) are covered in test_atari.py.


def test_a_saved_image_network_that_names_no_activation_or_layer_norm_is_relu_without_it():
    """Files written before the activation and LayerNorm could be chosen (their config names neither) were ReLU
    networks without LayerNorm, and their weight lists fit such a network."""
    from models import CNNLSTMActorCritic

    elu = build_model("cnn_lstm", (84, 84), Categorical(3), conv_activation="elu", layer_norm=True)
    assert elu.get_config()["activation"] == "elu" and elu.trunk.conv1.activation.__name__ == "elu"
    assert elu.get_config()["layer_norm"] is True
    old_config = {key: value for key, value in elu.get_config().items() if key not in ("activation", "layer_norm")}
    old = CNNLSTMActorCritic.from_config(old_config)
    assert old.activation == "relu" and old.layer_norm is False and old.trunk.norm is None
    plain = build_model("cnn_lstm", (84, 84), Categorical(3))
    # An old checkpoint's arrays: trunk (3 kernels, 3 biases), LSTM (3), policy and value heads (2 each), in order.
    assert [tuple(w.shape) for w in plain.get_weights()][-4:] == [(256, 3), (3,), (256, 1), (1,)]
    assert len(plain.get_weights()) == 13 and len(elu.get_weights()) == 15


def test_layer_norm_keeps_the_dense_features_alive_and_at_unit_scale():
    """Whatever the dense layer's weights have grown to, LayerNorm hands the LSTM features of unit scale with
    units on for every frame; without it a shifted layer leaves every unit off (the dead features Pong's runs
    had)."""
    frames = np.random.default_rng(0).integers(0, 256, (8, 84, 84)).astype(np.uint8)
    for layer_norm in (False, True):
        model = build_model("cnn_lstm", (84, 84), Categorical(3), layer_norm=layer_norm)
        dense = model.trunk.dense
        dense.kernel.assign(dense.kernel * 50.0)
        dense.bias.assign(dense.bias - 1e4)  # pushes every pre-activation far below zero
        features = model.trunk(frames).numpy()
        if layer_norm:
            assert (features > 0).any(axis=1).all() and 0.2 < features.std() < 1.0
        else:
            assert (features == 0).all()
