"""How a worker is run today: a thin `threading.Thread` harness around `WorkerCore`."""

from __future__ import annotations

import os
import queue
import threading
import traceback
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from worker.core import WorkerCore

# A worker that meets this many non-finite gradients in a row stops the run: skipping cannot fix it.
MAX_CONSECUTIVE_NONFINITE = 20

# Test hook: "exception@N" raises in worker 0's N-th update, "nan@N" makes its gradients NaN from then on,
# "nan_once@N" only in that update. Read once per thread; unset in normal use.
FAULT_ENV = "A3C_TEST_FAULT"


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
class UpdateStats:
    """A worker's latest loss terms, sent now and then for TensorBoard."""

    worker: int
    global_step: int
    stats: dict


@dataclass(frozen=True)
class WorkerFailure:
    worker: int
    error: str
    traceback: str
    recoverable: bool  # False for numerical faults: a fresh environment would not fix them


class InjectedFault(RuntimeError):
    """Raised by the A3C_TEST_FAULT test hook."""


def parse_fault(spec: str | None) -> tuple[str, int] | None:
    if not spec:
        return None
    kind, _, at = spec.partition("@")
    return kind, int(at or 1)


class WorkerAgent(threading.Thread):
    """Loop until `stop` is set: rollout, gradients, push to the global model, pull its weights back.

    Episodes go onto `results`; an exception is not swallowed but put there as a `WorkerFailure` so the
    master can restart the worker or stop the run. A non-finite gradient is never applied, only counted.
    """

    def __init__(
        self,
        worker_id: int,
        core: WorkerCore,
        optimizer: GradientSink,
        counter: StepCounter,
        results: queue.Queue,
        stop: threading.Event,
        stats_every: int = 50,
        setup: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(name=f"worker-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.core = core
        self.optimizer = optimizer
        self.counter = counter
        self.results = results
        self.stop = stop
        self.stats_every = stats_every
        self.setup = setup  # e.g. a restart's fresh environments: done on this thread, the master goes on
        self.updates = 0
        self.skipped_updates = 0
        self.fault = parse_fault(os.environ.get(FAULT_ENV)) if worker_id == 0 else None

    def _inject(self, flat_grads, stats):
        kind, at = self.fault
        n = self.updates + self.skipped_updates + 1
        if kind == "exception" and n == at:
            raise InjectedFault(f"injected failure in update {n}")
        if (kind == "nan" and n >= at) or (kind == "nan_once" and n == at):
            return flat_grads * np.nan, {**stats, "grad_norm": float("nan")}
        return flat_grads, stats

    def run(self) -> None:
        consecutive_nonfinite = 0
        try:
            if self.setup is not None:
                self.setup()
            self.core.pull()
            while not self.stop.is_set():
                episodes, steps = self.core.collect()
                grads, stats = self.core.gradients()
                if self.fault:
                    grads, stats = self._inject(grads, stats)
                if np.isfinite(stats["grad_norm"]):
                    self.optimizer.apply(grads, then=self.core.pull)
                    self.updates += 1
                    consecutive_nonfinite = 0
                else:
                    self.skipped_updates += 1
                    consecutive_nonfinite += 1
                    self.core.pull()
                    if consecutive_nonfinite >= MAX_CONSECUTIVE_NONFINITE:
                        self.results.put(WorkerFailure(
                            self.worker_id,
                            f"{consecutive_nonfinite} non-finite gradients in a row (none was applied)",
                            "", recoverable=False))
                        return
                global_step = self.counter.add(steps)
                for ep in episodes:
                    self.results.put(EpisodeResult(self.worker_id, ep.episode_return, ep.length, global_step))
                if self.updates % self.stats_every == 0 and consecutive_nonfinite == 0:
                    self.results.put(UpdateStats(self.worker_id, global_step, stats))
        except BaseException as exc:  # reported, never silent: the master restarts the worker or stops
            summary = (str(exc).strip().splitlines() or [""])[0]  # one line for the console; all in error.log
            self.results.put(WorkerFailure(
                self.worker_id, f"{type(exc).__name__}: {summary}", traceback.format_exc(), recoverable=True))
