"""Acting: the network's forward pass as the worker calls it once per step, for all its environments.

A `tf.function` call costs ~0.3-0.6 ms of Python-side dispatch whatever the batch, far more than the
small MLP's arithmetic; a NumPy mirror of the same weights runs the same forward pass in tens of
microseconds. Image networks act through their graph. Gradients are always taken on the Keras model.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import tensorflow as tf

from models.base import ActorCritic, State
from models.distributions import GaussianHead
from models.mlp import MLPActorCritic


class Actor(Protocol):
    def __call__(self, obs: np.ndarray, state: State) -> tuple[np.ndarray, np.ndarray, State]:
        """(policy parameters [B, P], values [B], next state) for a batch of observations."""

    def load(self, weights: list[np.ndarray]) -> None:
        """Take the model's new weights (in `trainable_variables` order) after they changed."""


class GraphActor:
    """Any actor-critic's `step` through a `tf.function` traced once with a fixed signature."""

    def __init__(self, model: ActorCritic, obs_spec: tf.TensorSpec) -> None:
        self._step = tf.function(model.step, input_signature=[obs_spec, model.state_specs()]).get_concrete_function()

    def __call__(self, obs: np.ndarray, state: State) -> tuple[np.ndarray, np.ndarray, State]:
        params, values, next_state = self._step(obs, state)
        return params.numpy(), values.numpy(), tuple(s.numpy() for s in next_state)

    def load(self, weights: list[np.ndarray]) -> None:
        pass  # the graph reads the variables themselves


class NumpyMLPActor:
    """The exact forward pass of `MLPActorCritic` in NumPy (float32), from a copy of its weights."""

    def __init__(self, model: MLPActorCritic) -> None:
        position = {id(v): i for i, v in enumerate(model.trainable_variables)}

        def slots(layer) -> tuple[int, ...]:
            if isinstance(layer, GaussianHead):  # a Dense for the means and the shared log-std vector
                return position[id(layer.mean.kernel)], position[id(layer.mean.bias)], position[id(layer.log_std)]
            return position[id(layer.kernel)], position[id(layer.bias)]

        self._slots = {
            part: [slots(layer) for layer in layers]
            for part, layers in {
                "policy": model.policy_tower,
                "value": model.value_tower,
                "policy_head": [model.policy_head],
                "value_head": [model.value_head],
            }.items()
        }
        self.load([np.asarray(v) for v in model.trainable_variables])

    def load(self, weights: list[np.ndarray]) -> None:
        dense = {part: [tuple(weights[i] for i in layer) for layer in slots] for part, slots in self._slots.items()}
        self.policy, self.value = dense["policy"], dense["value"]
        (self.policy_head,), (self.value_head,) = dense["policy_head"], dense["value_head"]

    def __call__(self, obs: np.ndarray, state: State = ()) -> tuple[np.ndarray, np.ndarray, State]:
        x = v = obs
        for w, b in self.policy:
            x = np.tanh(x @ w + b)
        for w, b in self.value:
            v = np.tanh(v @ w + b)
        (wp, bp, *log_std), (wv, bv) = self.policy_head, self.value_head
        params = x @ wp + bp
        if log_std:  # GaussianHead: [means, the shared log-std for every row]
            params = np.concatenate([params, np.broadcast_to(log_std[0], params.shape)], axis=-1)
        return params, (v @ wv + bv)[:, 0], state


def make_actor(model: ActorCritic, obs_spec: tf.TensorSpec) -> Actor:
    """The fastest exact actor for this model."""
    if isinstance(model, MLPActorCritic):
        return NumpyMLPActor(model)
    return GraphActor(model, obs_spec)
