"""The interface every actor-critic offers the worker: one step while acting, an unroll for the gradient.

A network maps observations to the parameters of its policy distribution (`models.distributions`) and a
value. Feed-forward networks have no state (an empty tuple) and ignore episode starts; the recurrent network
overrides `initial_state`, `step` and `unroll`. The worker therefore has one code path for both.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from models.distributions import Distribution, distribution_from_config

State = tuple  # of [batch, units] arrays; () for feed-forward networks


class ActorCritic(keras.Model):
    """Subclasses implement `call(obs) -> (policy parameters [B, P], value [B])`."""

    recurrent = False
    convolutional = False  # a conv stack: whether XLA pays off for its gradient depends on it (`worker.core`)

    def __init__(self, distribution: Distribution, **kwargs) -> None:
        super().__init__(**kwargs)
        self.distribution = distribution

    def get_config(self) -> dict:
        """What `keras.saving.load_model` needs to rebuild the network (the classes are registered serializable)."""
        return {"name": self.name, "distribution": self.distribution.get_config()}

    @classmethod
    def from_config(cls, config: dict) -> ActorCritic:
        config = dict(config)
        return cls(distribution_from_config(config.pop("distribution")), **config)

    def initial_state(self, batch: int) -> State:
        return ()

    def state_specs(self) -> tuple[tf.TensorSpec, ...]:
        return ()

    def step(self, obs, state: State):
        """One acting step for a batch of environments: (policy parameters, values, next state)."""
        params, values = self(obs)
        return params, values, state

    def unroll(self, obs, state0: State, starts):
        """Policy parameters and values for a flat [T * E] rollout, replayed from the state at its start.

        `starts[t]` marks environments whose observation at step t begins an episode (state reset).
        """
        return self(obs)


def zero_state_rows(state: State, rows: np.ndarray) -> None:
    """Reset the recurrent state of the environments in `rows` (a boolean mask), in place."""
    if rows.any():
        for part in state:
            part[rows] = 0.0
