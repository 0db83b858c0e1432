"""How a worker is run today: a thin `threading.Thread` harness around `WorkerCore`."""

from __future__ import annotations

import queue
import threading
import traceback
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from worker.core import WorkerCore


class GradientSink(Protocol):
    """The master's lock-guarded optimizer, as a worker sees it."""

    def apply(self, flat_grads, then: Callable[[], None]) -> None: ...


class StepCounter(Protocol):
    def add(self, steps: int) -> int: ...


@dataclass(frozen=True)
class EpisodeResult:
    worker: int
    episode_return: float
    length: int
    global_step: int


@dataclass(frozen=True)
class WorkerFailure:
    worker: int
    error: str
    traceback: str


class WorkerAgent(threading.Thread):
    """Loop until `stop` is set: rollout, gradients, push to the global model, pull its weights back.

    Episodes go onto `results`; an exception is not swallowed but put there as a `WorkerFailure` so the
    master can stop the run and report it. A non-finite gradient is never applied, only counted.
    """

    def __init__(
        self,
        worker_id: int,
        core: WorkerCore,
        optimizer: GradientSink,
        counter: StepCounter,
        results: queue.Queue,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"worker-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.core = core
        self.optimizer = optimizer
        self.counter = counter
        self.results = results
        self.stop = stop
        self.updates = 0
        self.skipped_updates = 0

    def run(self) -> None:
        try:
            self.core.pull()
            while not self.stop.is_set():
                episodes, steps = self.core.collect()
                grads, stats = self.core.gradients()
                if np.isfinite(stats["grad_norm"]):
                    self.optimizer.apply(grads, then=self.core.pull)
                    self.updates += 1
                else:
                    self.skipped_updates += 1
                    self.core.pull()
                global_step = self.counter.add(steps)
                for ep in episodes:
                    self.results.put(EpisodeResult(self.worker_id, ep.episode_return, ep.length, global_step))
        except BaseException as exc:  # reported, never silent: the master stops the run on it
            self.results.put(WorkerFailure(self.worker_id, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
