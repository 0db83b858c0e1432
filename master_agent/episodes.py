"""Episode accounting and the stop rules: what the master does with each finished episode, in one place."""

from __future__ import annotations

import collections
from typing import Protocol

from master_agent.config import RunConfig


class EpisodeSink(Protocol):
    def write(
        self, episode: int, worker: int, episode_return: float, length: int, global_step: int, seconds: float
    ) -> None: ...


class EpisodeScalars(Protocol):
    def episode(
        self, global_step: int, worker: int, episode_return: float, length: int, moving_average: float | None
    ) -> None: ...


class EpisodeTally:
    """Counts every finished episode once: its row in episodes.csv, its TensorBoard point, the mean of the last
    `target_window` returns, the best such mean, and the first episode at which that mean reached the target.
    Used alike by the training loop and by the drain of episodes that finished while the workers stopped."""

    def __init__(
        self,
        config: RunConfig,
        log: EpisodeSink,
        scalars: EpisodeScalars,
        episodes: int = 0,
        recent_returns: list[float] = (),
        best_average: float | None = None,
    ) -> None:
        self.config, self.log, self.scalars = config, log, scalars
        self.episodes = episodes  # continues a resumed run's numbering
        self.window: collections.deque[float] = collections.deque(recent_returns, maxlen=config.target_window)
        self.best_average = best_average
        self.solved_at: tuple[int, int, float] | None = None  # (episodes, global step, seconds)

    @property
    def average(self) -> float | None:
        return sum(self.window) / len(self.window) if self.window else None

    def add(self, worker: int, episode_return: float, length: int, global_step: int, seconds: float) -> None:
        self.episodes += 1
        self.log.write(self.episodes, worker, episode_return, length, global_step, seconds)
        self.window.append(episode_return)
        full = len(self.window) == self.config.target_window
        average = self.average if full else None
        self.scalars.episode(global_step, worker, episode_return, length, average)
        if average is None:
            return
        self.best_average = average if self.best_average is None else max(self.best_average, average)
        target = self.config.target_reward
        if target is not None and average >= target and self.solved_at is None:
            self.solved_at = (self.episodes, global_step, seconds)

    def stop_reason(self, steps: int, seconds: float) -> str | None:
        """Why training should stop now, or None: the target reached, or a budget spent."""
        cfg = self.config
        if self.solved_at is not None:
            return "solved"
        if cfg.max_steps is not None and steps >= cfg.max_steps:
            return "max_steps"
        if cfg.max_episodes is not None and self.episodes >= cfg.max_episodes:
            return "max_episodes"
        if cfg.max_seconds is not None and seconds >= cfg.max_seconds:
            return "max_seconds"
        return None
