"""The policy's action distribution: the one place that knows what an action is.

The network outputs the distribution's *parameters* (for `Categorical`, logits; for `DiagGaussian`, means and
log standard deviations); everything that turns them into actions or loss terms goes through a `Distribution`:
the loss (`log_prob`, `entropy`), the workers' acting (`sample`), evaluation and recording (`sample_numpy` or
`mode_numpy`), and what the environment receives (`to_env`: a Gaussian's action clipped or squashed into the
bounds, a `start` offset added). TensorFlow methods run inside the workers' graphs; the NumPy twins serve acting
outside a graph, where a TensorFlow call would cost more than the arithmetic (see `models.actors`). A new action
space is a new class here, a head of `param_size` outputs (`policy_head`), and a case in `make_distribution`.

| action space    | distribution     | parameters                   | log pi(a|s), H                       |
|-----------------|------------------|------------------------------|--------------------------------------|
| Discrete(n)     | Categorical      | n logits                     | log-softmax; -sum pi log pi          |
| Box(d,)         | DiagGaussian     | d means, d log-stds          | summed over the d dimensions         |
| MultiDiscrete   | MultiCategorical | sum(nvec) logits             | summed over the independent parts    |
| MultiBinary(n)  | Bernoulli        | n logits                     | summed over the n independent bits   |
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

    # What the environment receives for a sampled or greedy action (the rollout keeps the action itself, whose
    # log-probability the loss takes).
    def to_env(self, actions: tf.Tensor) -> tf.Tensor:
        return actions

    def to_env_numpy(self, actions: np.ndarray) -> np.ndarray:
        return actions


def _log_softmax_numpy(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _gumbel_argmax_numpy(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits)."""
    return np.argmax(logits - np.log(-np.log(rng.random(np.shape(logits)))), axis=-1)


def _gumbel_argmax(logits: tf.Tensor, generator: tf.random.Generator) -> tf.Tensor:
    uniform = generator.uniform(tf.shape(logits), minval=np.finfo(np.float32).tiny, maxval=1.0)
    return tf.argmax(logits - tf.math.log(-tf.math.log(uniform)), axis=-1, output_type=tf.int32)


def _categorical_entropy(logits: tf.Tensor) -> tf.Tensor:
    # the full H = -sum_a pi(a) log pi(a), not the taken action's term alone (the tutorial's error)
    log_probs = tf.nn.log_softmax(logits)
    return -tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1)


class Categorical(Distribution):
    """pi(a|s) = softmax(logits) over `n` actions (a `Discrete(n, start)` space; the env receives a + start)."""

    action_shape = ()
    action_dtype = np.dtype(np.int32)

    def __init__(self, n: int, start: int = 0) -> None:
        self.n = self.param_size = int(n)
        self.start = int(start)

    def log_prob(self, params, actions):
        # log-softmax on the logits, not log(softmax + eps): exact, and stable for very negative logits
        return tf.gather(tf.nn.log_softmax(params), actions, batch_dims=1)

    def entropy(self, params):
        return _categorical_entropy(params)

    def sample(self, params, generator):
        return _gumbel_argmax(params, generator)

    def mode(self, params):
        return tf.argmax(params, axis=-1, output_type=tf.int32)

    def sample_numpy(self, params, rng):
        return _gumbel_argmax_numpy(params, rng).astype(self.action_dtype)

    def mode_numpy(self, params):
        return np.argmax(params, axis=-1).astype(self.action_dtype)

    def to_env(self, actions):
        return actions + self.start if self.start else actions

    def to_env_numpy(self, actions):
        return actions + self.start if self.start else actions

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n, **({"start": self.start} if self.start else {})}

    def __repr__(self) -> str:
        return f"Categorical({self.n})"


class MultiCategorical(Distribution):
    """Independent categoricals, one per component of a `MultiDiscrete(nvec, start)` space: log-probabilities and
    entropies are sums over the components."""

    action_dtype = np.dtype(np.int32)

    def __init__(self, nvec: list[int], start: list[int] | None = None) -> None:
        self.nvec = [int(n) for n in nvec]
        self.start = [int(s) for s in start] if start is not None else [0] * len(self.nvec)
        self.param_size = sum(self.nvec)
        self.action_shape = (len(self.nvec),)
        self._edges = np.cumsum([0, *self.nvec])

    def _split(self, params):
        return tf.split(params, self.nvec, axis=-1)

    def _split_numpy(self, params):
        return [params[..., a:b] for a, b in zip(self._edges[:-1], self._edges[1:])]

    def log_prob(self, params, actions):
        return tf.add_n(
            [tf.gather(tf.nn.log_softmax(p), actions[:, i], batch_dims=1) for i, p in enumerate(self._split(params))]
        )

    def entropy(self, params):
        return tf.add_n([_categorical_entropy(p) for p in self._split(params)])

    def sample(self, params, generator):
        return tf.stack([_gumbel_argmax(p, generator) for p in self._split(params)], axis=-1)

    def mode(self, params):
        return tf.stack([tf.argmax(p, axis=-1, output_type=tf.int32) for p in self._split(params)], axis=-1)

    def sample_numpy(self, params, rng):
        return np.stack([_gumbel_argmax_numpy(p, rng) for p in self._split_numpy(params)], axis=-1).astype(np.int32)

    def mode_numpy(self, params):
        return np.stack([np.argmax(p, axis=-1) for p in self._split_numpy(params)], axis=-1).astype(np.int32)

    def to_env(self, actions):
        return actions + tf.constant(self.start, tf.int32)

    def to_env_numpy(self, actions):
        return actions + np.asarray(self.start, np.int32)

    def get_config(self) -> dict:
        return {**super().get_config(), "nvec": self.nvec, "start": self.start}

    def __repr__(self) -> str:
        return f"MultiCategorical({self.nvec})"


class Bernoulli(Distribution):
    """n independent bits, each 1 with probability sigmoid(logit) (a `MultiBinary(n)` space)."""

    action_dtype = np.dtype(np.int32)

    def __init__(self, n: int) -> None:
        self.n = self.param_size = int(n)
        self.action_shape = (self.n,)

    def log_prob(self, params, actions):
        # log sigmoid(l) = -softplus(-l), log(1 - sigmoid(l)) = -softplus(l): exact for large |l|
        a = tf.cast(actions, tf.float32)
        return -tf.reduce_sum(a * tf.nn.softplus(-params) + (1.0 - a) * tf.nn.softplus(params), axis=-1)

    def entropy(self, params):
        p = tf.sigmoid(params)
        return tf.reduce_sum(p * tf.nn.softplus(-params) + (1.0 - p) * tf.nn.softplus(params), axis=-1)

    def sample(self, params, generator):
        return tf.cast(generator.uniform(tf.shape(params)) < tf.sigmoid(params), tf.int32)

    def mode(self, params):
        return tf.cast(params > 0, tf.int32)

    def sample_numpy(self, params, rng):
        return (rng.random(np.shape(params)) < 1.0 / (1.0 + np.exp(-params))).astype(np.int32)

    def mode_numpy(self, params):
        return (params > 0).astype(np.int32)

    def to_env(self, actions):
        return tf.cast(actions, tf.int8)

    def to_env_numpy(self, actions):
        return actions.astype(np.int8)  # MultiBinary's dtype

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}

    def __repr__(self) -> str:
        return f"Bernoulli({self.n})"


# Keeps exp(log_std) and its gradients finite whatever the head outputs (SB3's SAC bounds, in nats).
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0
HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


@keras.saving.register_keras_serializable(package="a3c_keras")
class GaussianHead(layers.Layer):
    """Means from the features and one learned log-std vector shared by every state: [mean, log_std] per row.

    The A3C paper's and SB3's A2C/PPO choice: the spread is a parameter of the policy, not of the state. It
    starts at log_std 0 (sigma 1) and the entropy bonus keeps it from collapsing early."""

    def __init__(self, units: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = int(units)
        self.mean = layers.Dense(self.units, kernel_initializer=keras.initializers.Orthogonal(0.01), name="mean")

    def build(self, input_shape) -> None:
        self.mean.build(input_shape)
        self.log_std = self.add_weight(shape=(self.units,), initializer="zeros", name="log_std")

    def call(self, features):
        mean = self.mean(features)
        return tf.concat([mean, tf.zeros_like(mean) + self.log_std], axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units}


class DiagGaussian(Distribution):
    """a ~ N(mean, diag(sigma^2)) for a `Box(d,)` space; the parameters are [mean (d), log sigma (d)].

    log pi(a|s) = sum_i [-(a_i - mu_i)^2 / (2 sigma_i^2) - log sigma_i - 0.5 log 2pi]
    H           = sum_i [0.5 + 0.5 log 2pi + log sigma_i]

    The rollout keeps the unbounded sample a; the environment receives `to_env(a)`: with "clip", a clipped to
    [low, high] (SB3's A2C/PPO); with "squash", low + (tanh(a) + 1) (high - low) / 2. Squashing is an invertible
    change of variable, so log pi of the squashed action is log pi(a) - sum_i log(1 - tanh(a_i)^2) (`log_prob`
    includes it); that term holds no parameter, so the policy gradient is the same, and the entropy bonus is
    the Gaussian's H (the squashed policy's has no closed form).
    """

    action_dtype = np.dtype(np.float32)
    # The variants (`--log-std`, `--action-bounds`; the defaults are `worker.Hyperparams`').
    LOG_STD_KINDS = ("state-independent", "state-dependent")
    BOUNDS_KINDS = ("clip", "squash")

    def __init__(self, low: list[float], high: list[float], log_std: str, bounds: str) -> None:
        if log_std not in self.LOG_STD_KINDS:
            raise ValueError(f"log_std must be one of {self.LOG_STD_KINDS}, got {log_std!r}")
        if bounds not in self.BOUNDS_KINDS:
            raise ValueError(f"bounds must be one of {self.BOUNDS_KINDS}, got {bounds!r}")
        self.low = np.asarray(low, np.float32)
        self.high = np.asarray(high, np.float32)
        if bounds == "squash" and not (np.isfinite(self.low).all() and np.isfinite(self.high).all()):
            raise UnsupportedSpace("has unbounded Box actions, which cannot be squashed into bounds; use clip")
        self.log_std_kind, self.bounds = log_std, bounds
        self.dim = len(self.low)
        self.action_shape = (self.dim,)
        self.param_size = 2 * self.dim

    def policy_head(self, name: str = "policy") -> layers.Layer:
        if self.log_std_kind == "state-independent":
            return GaussianHead(self.dim, name=name)
        return super().policy_head(name)  # 2d outputs: means and log-stds, both from the state

    def _split(self, params):
        mean, log_std = tf.split(params, 2, axis=-1)
        return mean, tf.clip_by_value(log_std, LOG_STD_MIN, LOG_STD_MAX)

    def _split_numpy(self, params):
        mean, log_std = np.split(params, 2, axis=-1)
        return mean, np.clip(log_std, LOG_STD_MIN, LOG_STD_MAX)

    def log_prob(self, params, actions):
        mean, log_std = self._split(params)
        z = (actions - mean) * tf.exp(-log_std)
        log_prob = tf.reduce_sum(-0.5 * tf.square(z) - log_std - HALF_LOG_2PI, axis=-1)
        if self.bounds == "squash":
            # log(1 - tanh(a)^2) = 2 (log 2 - a - softplus(-2a)), finite where tanh(a) rounds to +-1
            log_prob -= tf.reduce_sum(2.0 * (np.log(2.0) - actions - tf.nn.softplus(-2.0 * actions)), axis=-1)
        return log_prob

    def entropy(self, params):
        _, log_std = self._split(params)
        return tf.reduce_sum(0.5 + HALF_LOG_2PI + log_std, axis=-1)

    def sample(self, params, generator):
        mean, log_std = self._split(params)
        return mean + tf.exp(log_std) * generator.normal(tf.shape(mean))

    def mode(self, params):
        return self._split(params)[0]

    def sample_numpy(self, params, rng):
        mean, log_std = self._split_numpy(params)
        return (mean + np.exp(log_std) * rng.standard_normal(mean.shape)).astype(np.float32)

    def mode_numpy(self, params):
        return np.ascontiguousarray(self._split_numpy(params)[0], dtype=np.float32)

    def to_env(self, actions):
        if self.bounds == "squash":
            return self.low + (tf.tanh(actions) + 1.0) * (0.5 * (self.high - self.low))
        return tf.clip_by_value(actions, self.low, self.high)

    def to_env_numpy(self, actions):
        if self.bounds == "squash":
            return (self.low + (np.tanh(actions) + 1.0) * (0.5 * (self.high - self.low))).astype(np.float32)
        return np.clip(actions, self.low, self.high)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "low": self.low.tolist(),
            "high": self.high.tolist(),
            "log_std": self.log_std_kind,
            "bounds": self.bounds,
        }

    def __repr__(self) -> str:
        return f"DiagGaussian({self.dim}, {self.log_std_kind}, {self.bounds})"


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.__name__: cls for cls in (Categorical, MultiCategorical, Bernoulli, DiagGaussian)
}


def distribution_from_config(config: dict) -> Distribution:
    config = dict(config)
    return DISTRIBUTIONS[config.pop("class_name")](**config)


def make_distribution(
    action_space: gym.Space, log_std: str = "state-independent", bounds: str = "clip"
) -> Distribution:
    """The distribution for an action space (as SB3's `make_proba_distribution`); `log_std` and `bounds` apply
    to Box spaces (a run passes its `Hyperparams`'; these defaults serve tests and notebooks). Raises
    UnsupportedSpace, whose message follows the game's name."""
    space = action_space
    if isinstance(space, gym.spaces.Discrete):
        return Categorical(space.n, int(space.start))
    if isinstance(space, gym.spaces.Box) and len(space.shape) == 1 and np.issubdtype(space.dtype, np.floating):
        return DiagGaussian(space.low.tolist(), space.high.tolist(), log_std, bounds)
    if isinstance(space, gym.spaces.MultiDiscrete) and space.nvec.ndim == 1:
        return MultiCategorical(space.nvec.tolist(), space.start.tolist())
    if isinstance(space, gym.spaces.MultiBinary) and len(space.shape) == 1:
        return Bernoulli(space.shape[0])
    if isinstance(space, (gym.spaces.Box, gym.spaces.MultiDiscrete, gym.spaces.MultiBinary)):
        raise UnsupportedSpace(
            f"has a {space} action space; actions must be one-dimensional (a Box of floats, a MultiDiscrete or "
            "a MultiBinary of shape (n,))"
        )
    raise UnsupportedSpace(
        f"has a {type(space).__name__} action space; supported: Discrete, Box (floats, shape (n,)), "
        "MultiDiscrete, MultiBinary"
    )
