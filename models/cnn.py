"""Actor-critics for Atari frames: a feed-forward CNN on 4 stacked frames, and a CNN + LSTM on one frame.

The conv stack is the A3C paper's (16 8x8 stride 4, 32 4x4 stride 2, dense 256): about 5x fewer
multiply-adds per frame than the 4x(32 3x3 stride 2) stack, which matters on CPU-only machines where
the network, not the emulator, bounds the steps per second.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from models.base import ActorCritic, State


class ConvTrunk(layers.Layer):
    """uint8 frames -> 256 features. Frames arrive channels-first ([C, 84, 84]) or as one [84, 84] frame."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.conv1 = layers.Conv2D(16, 8, strides=4, activation="relu", name="conv1")
        self.conv2 = layers.Conv2D(32, 4, strides=2, activation="relu", name="conv2")
        self.flatten = layers.Flatten()
        self.dense = layers.Dense(256, activation="relu", name="dense")

    def call(self, frames):
        x = tf.cast(frames, tf.float32) / 255.0
        if len(frames.shape) == 3:  # one grayscale frame per observation
            x = x[..., None]
        else:  # stacked frames, channels first -> channels last (the layout TF's CPU convolutions take)
            x = tf.transpose(x, [0, 2, 3, 1])
        return self.dense(self.flatten(self.conv2(self.conv1(x))))


class CNNActorCritic(ActorCritic):
    """Feed-forward: the frame stack is the agent's only memory."""

    def __init__(self, n_actions: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_actions = n_actions
        self.trunk = ConvTrunk(name="trunk")
        self.logits_head = layers.Dense(n_actions, kernel_initializer=keras.initializers.Orthogonal(0.01), name="logits")
        self.value_head = layers.Dense(1, name="value")

    def call(self, obs):
        features = self.trunk(obs)
        return self.logits_head(features), self.value_head(features)[:, 0]


class CNNLSTMActorCritic(ActorCritic):
    """One frame per step; an LSTM(256) carries what happened before (truncated BPTT over a rollout)."""

    recurrent = True
    units = 256

    def __init__(self, n_actions: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_actions = n_actions
        self.trunk = ConvTrunk(name="trunk")
        self.cell = layers.LSTMCell(self.units, name="lstm")
        self.logits_head = layers.Dense(n_actions, kernel_initializer=keras.initializers.Orthogonal(0.01), name="logits")
        self.value_head = layers.Dense(1, name="value")

    def initial_state(self, batch: int) -> State:
        return (np.zeros((batch, self.units), np.float32), np.zeros((batch, self.units), np.float32))

    def state_specs(self) -> tuple[tf.TensorSpec, ...]:
        return (tf.TensorSpec([None, self.units], tf.float32),) * 2

    def _heads(self, x):
        return self.logits_head(x), self.value_head(x)[:, 0]

    def call(self, obs, state: State | None = None):
        """A single step; builds every variable when called once on a batch."""
        if state is None:
            batch = tf.shape(obs)[0]
            state = (tf.zeros([batch, self.units]), tf.zeros([batch, self.units]))
        out, _ = self.cell(self.trunk(obs), list(state))
        return self._heads(out)

    def step(self, obs, state: State):
        out, (h, c) = self.cell(self.trunk(obs), list(state))
        logits, values = self._heads(out)
        return logits, values, (h, c)

    def unroll(self, obs, state0: State, starts):
        steps = starts.shape[0]  # static t_max: the loop unrolls at trace time
        features = self.trunk(obs)
        features = tf.reshape(features, [steps, -1, features.shape[-1]])
        h, c = state0
        outputs = []
        for t in range(steps):
            keep = 1.0 - tf.cast(starts[t], tf.float32)[:, None]
            out, (h, c) = self.cell(features[t], [h * keep, c * keep])
            outputs.append(out)
        return self._heads(tf.reshape(tf.stack(outputs), [-1, self.units]))
