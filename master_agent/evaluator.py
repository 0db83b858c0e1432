"""Evaluation during training: greedy episodes with a snapshot of the global weights, on the evaluator's own
environments and model, in a thread of its own, so the workers never wait for it.

The master hands over a snapshot when the step count passes the next multiple of `eval_every` (and the
evaluator is idle: a slow evaluation delays the next one rather than queueing them up). The evaluator plays
`eval_episodes` games at once (`evaluate.player.play_batch`: one forward pass acts for all the unfinished games)
and puts an `EvalResult` on the results queue, where the master writes it to eval.csv and TensorBoard, keeps
the best weights in best/, and may stop on it (`--target-on eval`). Every evaluation plays the same seeds, so
two evaluations differ only by the weights.

That sameness is also why the stop rule does not trust one evaluation: the best of many evaluations on the same
few start states flatters its weights (LunarLander: a 30-episode evaluation of 200 that held 109 over 100 other
episodes). An evaluation that reaches the target is *confirmed* first: its weights play `confirm_episodes` more
greedy episodes (the 100 of the game's "solved" definition) on seeds no evaluation has played, and only they
decide (`master_agent.episodes.confirmation_bound`).
"""

from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass

import numpy as np

from envs import GameSpec
from evaluate.agent import Agent
from evaluate.player import make_env, play_batch
from models import ActorCritic

EVAL_SEED_OFFSET = 1_000_000_007  # evaluation games never replay a training environment's seed
CONFIRM_SEED_OFFSET = 2_000_000_011  # nor confirmations an evaluation's, nor one confirmation another's


@dataclass(frozen=True)
class EvalResult:
    global_step: int  # when the weights were taken
    seconds: float  # seconds of training then
    train_episodes: int  # training episodes finished then
    scores: np.ndarray  # one per evaluation episode, the real (unclipped) score
    weights: list[np.ndarray]  # the weights that scored them
    normalization: dict | None = None  # and the observation statistics they acted on (None: off)
    confirmation: bool = False  # a confirmation of an evaluation that reached the target, on fresh seeds

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))


class Evaluator(threading.Thread):
    def __init__(
        self,
        game: GameSpec,
        cnn_lstm: bool,
        model: ActorCritic,
        obs_shape: tuple[int, ...],
        episodes: int,
        seed: int,
        results: queue.Queue,
        stop: threading.Event,
        confirm_episodes: int = 0,
        confirm_batch: int | None = None,
    ) -> None:
        """`confirm_batch`: how many of a confirmation's episodes play side by side (default: `episodes`, on the
        evaluation's own environments; more are made at the first confirmation that needs them)."""
        super().__init__(name="evaluator", daemon=True)
        self.agent = Agent(model, obs_shape)  # its own model: the global one keeps training meanwhile
        self.envs = [make_env(game, cnn_lstm)[0] for _ in range(episodes)]
        self.seeds = [(seed * episodes + i + EVAL_SEED_OFFSET) % 2**32 for i in range(episodes)]
        self.make_env = lambda: make_env(game, cnn_lstm)[0]
        self.confirm_episodes = confirm_episodes
        self.confirm_batch = max(1, min(confirm_batch or episodes, confirm_episodes or 1))
        self._confirm_seeds = itertools.count(CONFIRM_SEED_OFFSET + seed * 10**6)  # new ones every time
        self.results, self.stop = results, stop
        self._jobs: queue.Queue = queue.Queue(maxsize=1)
        self._busy = threading.Event()

    @property
    def idle(self) -> bool:
        return not self._busy.is_set()

    def submit(
        self,
        weights: list[np.ndarray],
        normalization: dict | None,
        global_step: int,
        seconds: float,
        train_episodes: int,
        confirm: bool = False,
    ) -> None:
        """Evaluate these weights, with these frozen normalization statistics (call only when `idle`); with
        `confirm`, over `confirm_episodes` fresh seeds instead of the evaluation's own."""
        self._busy.set()
        self._jobs.put((weights, normalization, global_step, seconds, train_episodes, confirm))

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    weights, normalization, global_step, seconds, train_episodes, confirm = self._jobs.get(timeout=0.1)
                except queue.Empty:
                    continue
                self.agent.set_weights(weights, normalization)
                if confirm:
                    scores = self._confirm()
                else:  # on its first environments: a confirmation may have made more
                    scores = play_batch(self.agent, self.envs[: len(self.seeds)], self.seeds, self.stop.is_set)
                if scores is not None:
                    result = EvalResult(global_step, seconds, train_episodes, scores, weights, normalization, confirm)
                    self.results.put(result)
                self._busy.clear()
        finally:
            for env in self.envs:
                env.close()

    def _confirm(self) -> np.ndarray | None:
        """`confirm_episodes` greedy episodes on fresh seeds, `confirm_batch` at a time."""
        while len(self.envs) < self.confirm_batch:
            self.envs.append(self.make_env())
        scores = []
        for start in range(0, self.confirm_episodes, self.confirm_batch):
            n = min(self.confirm_batch, self.confirm_episodes - start)
            seeds = [next(self._confirm_seeds) % 2**32 for _ in range(n)]
            batch = play_batch(self.agent, self.envs[:n], seeds, self.stop.is_set)
            if batch is None:
                return None
            scores.append(batch)
        return np.concatenate(scores)
