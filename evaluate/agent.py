"""A trained policy to act with: a run's network and weights behind `act`. What `a3c.load_agent` returns, what
`--eval` plays and what evaluation during training plays.

Acting goes through the network's policy distribution (`models.distributions`): its mode when `greedy`, else a
sample, as training acts. A recurrent network's state is the caller's to carry: `act` takes the state its last
call returned (None, or `initial_state()`, where an episode starts) and returns the next one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from envs.normalize import Normalizer
from models import ActorCritic, State, make_actor


class Agent:
    def __init__(self, model: ActorCritic, obs_shape: Sequence[int]) -> None:
        self.model = model
        self.normalizer: Normalizer | None = None  # the run's observation statistics, frozen (if it normalized)
        self.distribution = model.distribution
        self.obs_shape = tuple(obs_shape)
        # The project feeds images as uint8 frames and vectors as float32.
        self.obs_dtype = np.uint8 if len(self.obs_shape) > 1 else np.float32
        spec = tf.TensorSpec([None, *self.obs_shape], tf.as_dtype(self.obs_dtype))
        self._actor = make_actor(model, spec)  # NumPy for the MLP, one traced graph for the CNNs
        self.rng = np.random.default_rng()  # for sampled actions when the caller gives no generator

    def initial_state(self, batch: int = 1) -> State:
        """The state an episode starts from: zeros for the LSTM, () for feed-forward networks."""
        return self.model.initial_state(batch)

    def set_weights(self, weights: list[np.ndarray], normalization: dict | None = None) -> None:
        """New weights (`model.get_weights()` order), for the model and the actor's copy of them, and the
        observation statistics they were trained with (`Normalizer.state()`; None: raw observations)."""
        self.model.set_weights(weights)
        self._actor.load([np.asarray(v) for v in self.model.trainable_variables])
        self.normalizer = None
        if normalization is not None and normalization.get("obs") is not None:
            self.normalizer = Normalizer(self.obs_shape, obs=True, reward=False)
            self.normalizer.load_state({"obs": normalization["obs"]})

    def forward(self, obs: np.ndarray, state: State | None = None) -> tuple[np.ndarray, np.ndarray, State]:
        """The network on a batch of raw observations [B, ...] (normalized here if the run normalized): the
        distribution's parameters, the critic's values V(s) and the next state (None: episodes starting here).
        What `act_batch` acts on, and what diagnostics such as `bench/network_health.py` read."""
        obs = np.asarray(obs, dtype=self.obs_dtype)
        if self.normalizer is not None:
            obs = self.normalizer.observations(obs)
        if state is None:
            state = self.initial_state(len(obs))
        params, values, state = self._actor(obs, state)
        return np.asarray(params), np.asarray(values), state

    def act_batch(
        self, obs: np.ndarray, state: State | None = None, greedy: bool = True, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, State]:
        """Actions for a batch of observations [B, ...] as the environment takes them (a Gaussian's clipped into
        the bounds), and the next state (None: episodes starting here)."""
        params, _, state = self.forward(obs, state)
        dist = self.distribution
        actions = dist.mode_numpy(params) if greedy else dist.sample_numpy(params, self.rng if rng is None else rng)
        return dist.to_env_numpy(actions), state

    def act(
        self, obs: np.ndarray, state: State | None = None, greedy: bool = True, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, State]:
        """The action for one observation (as a gymnasium env returns it), and the next state:

        action, state = agent.act(obs, state)   # state None where an episode starts
        """
        actions, state = self.act_batch(np.asarray(obs)[None], state, greedy, rng)
        return actions[0], state
