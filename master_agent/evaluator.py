"""Evaluation during training: greedy episodes with a snapshot of the global weights, on the evaluator's own
environments and model, in a thread of its own, so the workers never wait for it.

The master hands over a snapshot when the step count passes the next multiple of `eval_every` (and the
evaluator is idle: a slow evaluation delays the next one rather than queueing them up). The evaluator plays
`eval_episodes` games at once (`evaluate.player.play_batch`: one forward pass acts for all the unfinished games)
and puts an `EvalResult` on the results queue, where the master writes it to eval.csv and TensorBoard, keeps
the best weights in best/, and may stop on it (`--target-on eval`). Every evaluation plays the same seeds, so
two evaluations differ only by the weights.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

import numpy as np

from envs import GameSpec
from evaluate.agent import Agent
from evaluate.player import make_env, play_batch
from models import ActorCritic

EVAL_SEED_OFFSET = 1_000_000_007  # evaluation games never replay a training environment's seed


@dataclass(frozen=True)
class EvalResult:
    global_step: int  # when the weights were taken
    seconds: float  # seconds of training then
    train_episodes: int  # training episodes finished then
    scores: np.ndarray  # one per evaluation episode, the real (unclipped) score
    weights: list[np.ndarray]  # the weights that scored them
    normalization: dict | None = None  # and the observation statistics they acted on (None: off)

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
    ) -> None:
        super().__init__(name="evaluator", daemon=True)
        self.agent = Agent(model, obs_shape)  # its own model: the global one keeps training meanwhile
        self.envs = [make_env(game, cnn_lstm)[0] for _ in range(episodes)]
        self.seeds = [(seed * episodes + i + EVAL_SEED_OFFSET) % 2**32 for i in range(episodes)]
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
    ) -> None:
        """Evaluate these weights, with these frozen normalization statistics (call only when `idle`)."""
        self._busy.set()
        self._jobs.put((weights, normalization, global_step, seconds, train_episodes))

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    weights, normalization, global_step, seconds, train_episodes = self._jobs.get(timeout=0.1)
                except queue.Empty:
                    continue
                self.agent.set_weights(weights, normalization)
                scores = play_batch(self.agent, self.envs, self.seeds, stopped=self.stop.is_set)
                if scores is not None:
                    result = EvalResult(global_step, seconds, train_episodes, scores, weights, normalization)
                    self.results.put(result)
                self._busy.clear()
        finally:
            for env in self.envs:
                env.close()
