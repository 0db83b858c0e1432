"""Episode accounting and the stop rules: what the master does with each finished episode and each evaluation."""

from __future__ import annotations

import collections
import math
import statistics
from collections.abc import Sequence
from typing import Protocol

from master_agent.config import RunConfig

# How many standard errors below its mean a confirmation must still hold the target. One let Pendulum's borderline
# policies through: two of five seeds stopped with a confirmation clear of -200 by one standard error, then scored
# -202.2 and -208.0 over the benchmark's own 100 episodes. Two still let some through: a Pendulum seed scored -201.1,
# and 3 of the 13 LunarLanderContinuous runs of its preset that stopped solved scored 195.3, 199.2 and 199.5. Two
# make one confirmation's pass by luck a ~2% event, but a run confirms again and again near the target and stops on
# its first lucky pass, and the user's own 100 episodes have their own spread: with weights one standard error above
# the target, a try passes at 2 with 16% and the user's check then fails with 16%, ~2.5% a try, ~20% over ten. At 3
# a try passes with 2.3%, ~0.4% a try: the stop costs one more standard error of margin (~5 points on the
# LunarLanders, nothing where every episode scores the maximum).
CONFIRM_STANDARD_ERRORS = 3.0


def standard_error(scores: Sequence[float]) -> float:
    """The standard error of the mean of `scores` (0 for fewer than two)."""
    return statistics.stdev(scores) / math.sqrt(len(scores)) if len(scores) > 1 else 0.0


def confirmation_bound(scores: Sequence[float]) -> float:
    """The mean of a confirmation's scores less `CONFIRM_STANDARD_ERRORS` standard errors: what the stop rule holds
    to the target."""
    return statistics.fmean(scores) - CONFIRM_STANDARD_ERRORS * standard_error(scores)


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
    `target_window` returns, the best such mean, the best evaluation mean, and when the target was first reached:
    by the training window's mean, or with `target_on="eval"` by an evaluation's, once confirmed. Used alike by the
    training loop and by the drain of episodes that finished while the workers stopped."""

    def __init__(self, config: RunConfig, log: EpisodeSink, scalars: EpisodeScalars) -> None:
        self.config, self.log, self.scalars = config, log, scalars
        self.episodes = 0
        self.window: collections.deque[float] = collections.deque(maxlen=config.target_window)
        self.best_average: float | None = None
        self.best_evaluation: float | None = None
        self.best_kept: float | None = None  # the score of the weights in best/ (see `keeps`)
        self.solved_at: tuple[int, int, float] | None = None  # (episodes, global step, seconds)

    def resume_from(
        self,
        episodes: int,
        recent_returns: list[float],
        best_average: float | None,
        best_evaluation: float | None,
        best_kept: float | None,
    ) -> None:
        """Continue a resumed run's numbering, moving average and bests."""
        self.episodes = episodes
        self.window.extend(recent_returns)
        self.best_average, self.best_evaluation, self.best_kept = best_average, best_evaluation, best_kept

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
        if self.config.target_on == "train" and self._reaches_target(average):
            self.solved_at = (self.episodes, global_step, seconds)

    def add_evaluation(self, mean: float) -> bool:
        """An evaluation's mean score; True if its weights are to be kept in best/ now (`keeps`). One that reaches
        the target the stop rule compares evaluations with waits for its confirmation instead: its mean is one of
        many tries on the same start states, and its confirmation's mean, over fresh ones, is what ranks it."""
        if self.best_evaluation is None or mean > self.best_evaluation:
            self.best_evaluation = mean
        return not self.worth_confirming(mean) and self.keeps(mean)

    def keeps(self, score: float) -> bool:
        """Whether weights with this score replace those in best/ (then this score is theirs): an evaluation's mean,
        or for an evaluation that reached the target, its confirmation's. LunarLander, seed 0: an evaluation of 224
        took best/ from weights confirmed at 201.7, and its own confirmation said 174.8."""
        if self.best_kept is None or score > self.best_kept:
            self.best_kept = score
            return True
        return False

    def worth_confirming(self, mean: float) -> bool:
        """Whether an evaluation's mean reaches the target the stop rule compares evaluations with: its weights are
        then confirmed on fresh episodes (master_agent.evaluator) before the run counts as solved."""
        return self.config.target_on == "eval" and self._reaches_target(mean)

    def add_confirmation(self, scores: Sequence[float], train_episodes: int, global_step: int, seconds: float) -> bool:
        """A confirmation's scores; True if they hold the target: solved by the weights of that step.

        They hold it when their mean does even `CONFIRM_STANDARD_ERRORS` standard errors below itself: the
        confirmation is the first of several tries to pass, and a mean that only just passed tends not to repeat
        (Pendulum: two seeds confirmed at -200 by their mean alone scored -221 and -204 over another 100 episodes, and
        two with one standard error to spare -202 and -208)."""
        if not self.worth_confirming(confirmation_bound(scores)):
            return False
        self.solved_at = (train_episodes, global_step, seconds)
        return True

    def _reaches_target(self, mean: float) -> bool:
        target = self.config.target_reward
        return target is not None and mean >= target and self.solved_at is None

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
