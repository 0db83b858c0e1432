"""The policy's action distribution: the one place that knows what an action is.

The network outputs the distribution's *parameters* (for `Categorical`, logits); everything that turns them
into actions or loss terms goes through a `Distribution`: the loss (`log_prob`, `entropy`), the workers' acting
(`sample`), evaluation and recording (`sample_numpy` or `mode_numpy`). TensorFlow methods run inside the
workers' graphs; the NumPy twins serve acting outside a graph, where a TensorFlow call would cost more than
the arithmetic (see `models.actors`). A new action space is a new class here, a head of `param_size`
outputs (`policy_head`), and a case in `make_distribution`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import gymnasium as gym
import keras
import numpy as np
import tensorflow as tf
from keras import layers


class UnsupportedSpace(ValueError):
    """An action space no distribution here models."""


class Distribution(ABC):
    param_size: int  # outputs of the network's policy head
    action_shape: tuple[int, ...]  # of one action
    action_dtype: np.dtype  # how actions are stored in a rollout and fed to `log_prob`

    def policy_head(self, name: str = "policy") -> layers.Layer:
        """The layer that maps features to parameters. Small initial weights start the policy near uniform,
        so early episodes explore evenly."""
        return layers.Dense(self.param_size, kernel_initializer=keras.initializers.Orthogonal(0.01), name=name)

    def action_spec(self) -> tf.TensorSpec:
        """A batch of actions, as a traced function takes them."""
        return tf.TensorSpec([None, *self.action_shape], tf.as_dtype(self.action_dtype))

    def get_config(self) -> dict:
        """What rebuilds it (`distribution_from_config`): saved inside the network's `.keras` file."""
        return {"class_name": type(self).__name__}

    # TensorFlow: inside the loss and the in-graph worker
    @abstractmethod
    def log_prob(self, params: tf.Tensor, actions: tf.Tensor) -> tf.Tensor:
        """log pi(a|s) for each row: [B]."""

    @abstractmethod
    def entropy(self, params: tf.Tensor) -> tf.Tensor:
        """H(pi(.|s)) for each row: [B]."""

    @abstractmethod
    def sample(self, params: tf.Tensor, generator: tf.random.Generator) -> tf.Tensor:
        """a ~ pi(.|s) for each row."""

    @abstractmethod
    def mode(self, params: tf.Tensor) -> tf.Tensor:
        """The most probable action of each row (greedy play)."""

    # NumPy: acting outside a graph
    @abstractmethod
    def sample_numpy(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...

    @abstractmethod
    def mode_numpy(self, params: np.ndarray) -> np.ndarray: ...


class Categorical(Distribution):
    """pi(a|s) = softmax(logits) over `n` actions (a `Discrete(n)` space)."""

    action_shape = ()
    action_dtype = np.dtype(np.int32)

    def __init__(self, n: int) -> None:
        self.n = self.param_size = int(n)

    def log_prob(self, params, actions):
        # log-softmax on the logits, not log(softmax + eps): exact, and stable for very negative logits
        return tf.gather(tf.nn.log_softmax(params), actions, batch_dims=1)

    def entropy(self, params):
        # the full H = -sum_a pi(a) log pi(a), not the taken action's term alone (the tutorial's error)
        log_probs = tf.nn.log_softmax(params)
        return -tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1)

    def sample(self, params, generator):
        # Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits)
        uniform = generator.uniform(tf.shape(params), minval=np.finfo(np.float32).tiny, maxval=1.0)
        return tf.argmax(params - tf.math.log(-tf.math.log(uniform)), axis=-1, output_type=tf.int32)

    def mode(self, params):
        return tf.argmax(params, axis=-1, output_type=tf.int32)

    def sample_numpy(self, params, rng):
        gumbel = -np.log(-np.log(rng.random(np.shape(params))))
        return np.argmax(params + gumbel, axis=-1).astype(self.action_dtype)

    def mode_numpy(self, params):
        return np.argmax(params, axis=-1).astype(self.action_dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}

    def __repr__(self) -> str:
        return f"Categorical({self.n})"


DISTRIBUTIONS: dict[str, type[Distribution]] = {"Categorical": Categorical}


def distribution_from_config(config: dict) -> Distribution:
    config = dict(config)
    return DISTRIBUTIONS[config.pop("class_name")](**config)


def make_distribution(action_space: gym.Space) -> Distribution:
    """The distribution for an action space (as SB3's `make_proba_distribution`)."""
    if isinstance(action_space, gym.spaces.Discrete):
        return Categorical(action_space.n)
    raise UnsupportedSpace(f"has a {type(action_space).__name__} action space; A3C here needs a Discrete one")
