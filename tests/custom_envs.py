"""Environments of the tests' own, registered when this module is imported, as a user's module registers theirs:
`run.py --game tests.custom_envs:Corridor-v0 --env-kwargs length=5`.

- Corridor-v0: walk right to the end of a corridor of `length` cells (+1 there); the position is a Discrete
  observation (one-hot for the network), the actions Discrete(2). Small enough to train for a few hundred steps.
- Broken-v0: a Corridor that breaks gymnasium's API in the way `fault` names, for the environment checker.
- Echo-v0: any `observation_space` given to it, each observation a sample of it; for the observation-space tests.
  `actions` picks its action space by name (ACTION_SPACES), for the action-space tests.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium import spaces


class Corridor(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, length: int = 10) -> None:
        if length < 2:
            raise ValueError(f"a corridor needs at least 2 cells, got length={length}")
        self.length = length
        self.observation_space = spaces.Discrete(length)
        self.action_space = spaces.Discrete(2)  # 0: left, 1: right
        self.position = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[int, dict]:
        super().reset(seed=seed)
        self.position = 0
        return self.position, {}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict]:
        self.position = min(max(self.position + (1 if action == 1 else -1), 0), self.length - 1)
        at_the_end = self.position == self.length - 1
        return self.position, float(at_the_end), at_the_end, False, {}


class Broken(Corridor):
    """`fault`: "reset_not_a_tuple" (the old API's bare observation), "outside_the_space" (a position the
    observation space does not hold), "four_values" (the old step API)."""

    def __init__(self, fault: str = "reset_not_a_tuple", length: int = 5) -> None:
        super().__init__(length)
        self.fault = fault

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> Any:
        obs, info = super().reset(seed=seed, options=options)
        if self.fault == "reset_not_a_tuple":
            return obs
        if self.fault == "outside_the_space":
            return self.length + 3, info
        return obs, info

    def step(self, action: int) -> Any:
        obs, reward, terminated, truncated, info = super().step(action)
        if self.fault == "four_values":
            return obs, reward, terminated or truncated, info
        return obs, reward, terminated, truncated, info


ACTION_SPACES = {
    "discrete": spaces.Discrete(2),
    "box": spaces.Box(-1.0, 1.0, (2,)),
    "multi_discrete": spaces.MultiDiscrete([3, 2]),
    "multi_binary": spaces.MultiBinary(3),
    "tuple": spaces.Tuple((spaces.Discrete(2), spaces.Discrete(2))),  # no distribution models it
}


class Echo(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, observation_space: gym.Space | None = None, actions: str = "discrete") -> None:
        self.observation_space = observation_space or spaces.Discrete(3)
        self.action_space = ACTION_SPACES[actions]

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        self.observation_space.seed(int(self.np_random.integers(2**31)))
        return self.observation_space.sample(), {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        if not self.action_space.contains(action):  # what reaches the game must be inside its action space
            raise ValueError(f"action {action!r} is outside {self.action_space}")
        return self.observation_space.sample(), 0.0, False, False, {}


gym.register("Corridor-v0", entry_point=Corridor, max_episode_steps=50)
gym.register("Broken-v0", entry_point=Broken, max_episode_steps=50)
gym.register("Echo-v0", entry_point=Echo, max_episode_steps=20)
