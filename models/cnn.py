"""Actor-critics for Atari frames: a feed-forward CNN on 4 stacked frames, and a CNN + LSTM on one frame.

The conv stack is the A3C paper's (16 8x8 stride 4, 32 4x4 stride 2, dense 256): 1.7M multiply-adds per
frame against 6.3M for the 4x(32 3x3 stride 2) stack, and a ~4x faster gradient measured on 2 cores (see
the README). On CPU-only machines the network, not the emulator, bounds the steps per second.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from models.base import ActorCritic, State
from models.distributions import Distribution


class ConvTrunk(layers.Layer):
    """uint8 frames -> 256 features. Frames arrive channels-first ([C, 84, 84]) or as one [84, 84] frame.

    `layer_norm` normalizes the dense layer's outputs (LayerNorm) before its activation, which keeps the features
    the LSTM reads at unit scale and about half the units on for every frame; its weights start orthogonal (gain
    sqrt(2)), as the A2C and PPO Atari baselines start theirs. Without it, on Pong, most dense units died and the
    few left grew until the critic saw a constant (README, Atari). The network without it is the one measured
    before (Glorot-uniform weights, Keras' default), which SpaceInvaders' preset keeps.
    """

    def __init__(self, activation: str = "relu", layer_norm: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        init = _orthogonal if layer_norm else _glorot
        self.conv1 = layers.Conv2D(16, 8, strides=4, activation=activation, kernel_initializer=init(), name="conv1")
        self.conv2 = layers.Conv2D(32, 4, strides=2, activation=activation, kernel_initializer=init(), name="conv2")
        self.flatten = layers.Flatten()
        self.dense = layers.Dense(256, kernel_initializer=init(), name="dense")
        self.norm = layers.LayerNormalization(name="norm") if layer_norm else None
        self.activation = layers.Activation(activation)

    def layer_outputs(self, frames) -> dict[str, tf.Tensor]:
        """Every layer's output for a batch of frames (what `bench/network_health.py` looks inside)."""
        x = tf.cast(frames, tf.float32) / 255.0
        if len(frames.shape) == 3:  # one grayscale frame per observation
            x = x[..., None]
        else:  # stacked frames, channels first -> channels last (the layout TF's CPU convolutions take)
            x = tf.transpose(x, [0, 2, 3, 1])
        conv1 = self.conv1(x)
        conv2 = self.conv2(conv1)
        dense = self.dense(self.flatten(conv2))
        return {
            "conv1": conv1,
            "conv2": conv2,
            "dense": self.activation(dense if self.norm is None else self.norm(dense)),
        }

    def call(self, frames):
        return self.layer_outputs(frames)["dense"]


def _value_head(layer_norm: bool) -> layers.Dense:
    """V(s), orthogonal with gain 1 (as the baselines start it) beside the LayerNorm trunk. Built after the policy
    head: saved weight lists keep the order the variables were made in."""
    return layers.Dense(1, kernel_initializer=_orthogonal(1.0) if layer_norm else _glorot(), name="value")


def _orthogonal(gain: float = np.sqrt(2.0)) -> keras.initializers.Initializer:
    """A new initializer for every layer: Keras gives a reused unseeded instance's shapes the same values."""
    return keras.initializers.Orthogonal(gain)


def _glorot() -> keras.initializers.Initializer:
    return keras.initializers.GlorotUniform()


class ConvActorCritic(ActorCritic):
    """What the image networks share: the conv trunk and its activation, which the saved config records."""

    convolutional = True

    def __init__(
        self, distribution: Distribution, activation: str = "relu", layer_norm: bool = False, **kwargs
    ) -> None:
        """The defaults are what a saved network's config that does not name them means (files from before they
        could be chosen): ReLU, no LayerNorm."""
        super().__init__(distribution, **kwargs)
        self.activation = activation
        self.layer_norm = layer_norm
        self.trunk = ConvTrunk(activation, layer_norm, name="trunk")

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": self.activation, "layer_norm": self.layer_norm}


@keras.saving.register_keras_serializable(package="a3c_keras")
class CNNActorCritic(ConvActorCritic):
    """Feed-forward: the frame stack is the agent's only memory."""

    def __init__(
        self, distribution: Distribution, activation: str = "relu", layer_norm: bool = False, **kwargs
    ) -> None:
        super().__init__(distribution, activation, layer_norm, **kwargs)
        self.policy_head = distribution.policy_head()
        self.value_head = _value_head(layer_norm)

    def call(self, obs):
        features = self.trunk(obs)
        return self.policy_head(features), self.value_head(features)[:, 0]


@keras.saving.register_keras_serializable(package="a3c_keras")
class CNNLSTMActorCritic(ConvActorCritic):
    """One frame per step; an LSTM(256) carries what happened before (truncated BPTT over a rollout)."""

    recurrent = True
    units = 256

    def __init__(
        self, distribution: Distribution, activation: str = "relu", layer_norm: bool = False, **kwargs
    ) -> None:
        super().__init__(distribution, activation, layer_norm, **kwargs)
        self.cell = layers.LSTMCell(self.units, name="lstm")
        self.policy_head = distribution.policy_head()
        self.value_head = _value_head(layer_norm)

    def initial_state(self, batch: int) -> State:
        return (np.zeros((batch, self.units), np.float32), np.zeros((batch, self.units), np.float32))

    def state_specs(self) -> tuple[tf.TensorSpec, ...]:
        return (tf.TensorSpec([None, self.units], tf.float32),) * 2

    def _heads(self, h):
        return self.policy_head(h), self.value_head(h)[:, 0]

    def _input_gates(self, obs):
        """x @ W + b for every observation at once: one matmul for a whole rollout instead of one per step."""
        return self.trunk(obs) @ self.cell.kernel + self.cell.bias

    def _recur(self, gates_x, h, c):
        """One LSTM step with the cell's own weights and gate order (i, f, c, o), as `LSTMCell` computes it.

        Written out so the rollout replay can batch the input projection; the gradient of a 20-step
        replay is ~2x cheaper this way than through `LSTMCell.call`.
        """
        z = gates_x + h @ self.cell.recurrent_kernel
        i, f, g, o = tf.split(z, 4, axis=1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        return h, c

    def call(self, obs, state: State | None = None):
        """A single step from a zero state: builds every variable when called once."""
        features = self.trunk(obs)
        out, _ = self.cell(features, [tf.zeros_like(features[:, :1]) * tf.zeros([1, self.units])] * 2)
        return self._heads(out)

    def step(self, obs, state: State):
        h, c = self._recur(self._input_gates(obs), *state)
        params, values = self._heads(h)
        return params, values, (h, c)

    def unroll(self, obs, state0: State, starts):
        """Replay a [T * E] rollout from its start state; `tf.scan` keeps the graph (and XLA's compile) small."""
        gates_x = tf.reshape(self._input_gates(obs), [tf.shape(starts)[0], -1, 4 * self.units])
        keep = 1.0 - tf.cast(starts, tf.float32)[..., None]  # zero the state where an episode starts

        def step(carry, inputs):
            (h, c), (g, k) = carry, inputs
            return self._recur(g, h * k, c * k)

        hs, _ = tf.scan(step, (gates_x, keep), initializer=tuple(state0))
        return self._heads(tf.reshape(hs, [-1, self.units]))
