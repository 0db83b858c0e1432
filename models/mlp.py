"""Actor-critic for vector observations (CartPole, Acrobot, LunarLander...)."""

from __future__ import annotations

import keras
from keras import layers

from models.base import ActorCritic
from models.distributions import Distribution


@keras.saving.register_keras_serializable(package="a3c_keras")
class MLPActorCritic(ActorCritic):
    """Separate policy and value towers.

    Separate towers keep the value loss (large, early on) from disturbing the policy's features.
    """

    def __init__(self, distribution: Distribution, hidden: tuple[int, ...] = (64, 64), **kwargs) -> None:
        super().__init__(distribution, **kwargs)
        self.hidden = tuple(hidden)
        self.policy_tower = [layers.Dense(h, activation="tanh", name=f"pi_{i}") for i, h in enumerate(hidden)]
        self.value_tower = [layers.Dense(h, activation="tanh", name=f"v_{i}") for i, h in enumerate(hidden)]
        self.policy_head = distribution.policy_head()
        self.value_head = layers.Dense(1, name="value")

    def get_config(self) -> dict:
        return {**super().get_config(), "hidden": list(self.hidden)}

    def call(self, obs):
        x = obs
        for layer in self.policy_tower:
            x = layer(x)
        v = obs
        for layer in self.value_tower:
            v = layer(v)
        return self.policy_head(x), self.value_head(v)[:, 0]
