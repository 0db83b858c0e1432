"""Actor-critic for vector observations (CartPole, Acrobot, LunarLander...)."""

from __future__ import annotations

import keras
from keras import layers

from models.base import ActorCritic


class MLPActorCritic(ActorCritic):
    """Separate policy and value towers.

    Separate towers keep the value loss (large, early on) from disturbing the policy's features;
    the small initial policy weights start it close to uniform, so early episodes explore evenly.
    """

    def __init__(self, n_actions: int, hidden: tuple[int, ...] = (64, 64), **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_actions = n_actions
        self.policy_tower = [layers.Dense(h, activation="tanh", name=f"pi_{i}") for i, h in enumerate(hidden)]
        self.value_tower = [layers.Dense(h, activation="tanh", name=f"v_{i}") for i, h in enumerate(hidden)]
        small = keras.initializers.Orthogonal(gain=0.01)
        self.logits_head = layers.Dense(n_actions, kernel_initializer=small, name="logits")
        self.value_head = layers.Dense(1, name="value")

    def call(self, obs):
        x = obs
        for layer in self.policy_tower:
            x = layer(x)
        v = obs
        for layer in self.value_tower:
            v = layer(v)
        return self.logits_head(x), self.value_head(v)[:, 0]
