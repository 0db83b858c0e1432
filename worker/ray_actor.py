"""How a worker is run on Ray: an actor process with its own environments and local model.

The actor computes exactly what a thread worker computes (the same core): it loads the global weights sent
as one flat vector and returns its `Update`, the clipped gradients also one flat vector. On the master's
side `RemoteCore` offers the same worker contract (`worker.core.Core`), so the same `WorkerAgent` loop drives
both backends: each arriving gradient is applied at once by the shared optimizer, under its lock, and the
weights the worker pulls next go with the actor's next step (RLlib's asynchronous A3C).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from worker.core import Update
from worker.hyperparams import Hyperparams


@dataclass(frozen=True)
class StepResult:
    """One actor step: its update (gradients as NumPy, to cross processes) and its sampler state after it."""

    update: Update
    rng_state: dict


class RolloutActor:
    """The body of a Ray actor (wrapped by `ray.remote` in the master, so importing this needs no Ray)."""

    def __init__(self, game: Any, network: str, hp: Hyperparams, seed: int, env_impl: str = "gymnasium") -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)  # one CPU per actor, as Ray schedules it
        tf.config.threading.set_inter_op_parallelism_threads(1)
        from worker.factory import make_core

        self.core = make_core(game, network, hp, seed, None, env_impl=env_impl)

    def pid(self) -> int:
        return os.getpid()

    def set_rng_state(self, state: dict) -> None:
        self.core.rng_state = state

    def step(
        self, flat_weights: np.ndarray, normalizer_state: dict | None = None, entropy_beta: float | None = None
    ) -> StepResult:
        self.core.load_flat(flat_weights, normalizer_state)
        if entropy_beta is not None:
            self.core.entropy_beta = entropy_beta
        update = self.core.update()
        return StepResult(
            Update(np.asarray(update.grads), update.stats, update.episodes, update.steps, update.moments),
            self.core.rng_state,
        )


class RemoteCore:
    """The worker contract (`worker.core.Core`) served by a Ray actor, one round trip per update: `pull` reads
    the global weights (the harness holds the optimizer's lock), `update` sends them and receives the update."""

    def __init__(
        self,
        start_actor: Callable[[int], Any],
        seed: int,
        global_weights: Callable[[], np.ndarray],
        normalizer_state: Callable[[], dict] | None = None,
    ) -> None:
        """`normalizer_state`: the shared normalization statistics (None: off), sent with the weights."""
        self._start_actor = start_actor
        self._global_weights = global_weights
        self._normalizer_state = normalizer_state
        self.normalization: dict | None = None
        self.actor = start_actor(seed)
        self.weights: np.ndarray | None = None
        self._rng_state: dict | None = None
        self.entropy_beta: float | None = None  # None: the actor keeps its hyperparameters' weight

    def wait_ready(self) -> int:
        """Block until the actor has built its environments and compiled its functions; its process id."""
        import ray

        return ray.get(self.actor.pid.remote())

    def restart(self, seed: int) -> None:
        """A fresh actor (new process, environments and local model) in place of a dead one."""
        import ray

        try:
            ray.kill(self.actor)
        except Exception:  # already dead: that is why it is replaced
            pass
        self.actor = self._start_actor(seed)
        if self._rng_state is not None:
            self.rng_state = self._rng_state
        self.wait_ready()

    def pull(self) -> None:
        self.weights = self._global_weights()
        if self._normalizer_state is not None:
            self.normalization = self._normalizer_state()

    def update(self) -> Update:
        import ray

        result = ray.get(self.actor.step.remote(self.weights, self.normalization, self.entropy_beta))
        self._rng_state = result.rng_state
        return result.update

    @property
    def rng_state(self) -> dict | None:
        return self._rng_state

    @rng_state.setter
    def rng_state(self, state: dict) -> None:
        import ray

        ray.get(self.actor.set_rng_state.remote(state))
        self._rng_state = state
