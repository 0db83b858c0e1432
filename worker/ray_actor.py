"""How a worker is run on Ray: an actor process with its own environments and local model.

The actor computes exactly what a thread worker computes (`WorkerCore`): it loads the global weights sent
as one flat vector, collects a rollout and returns the clipped gradients, also as one flat vector. On the
master's side `RemoteCore` stands in for a `WorkerCore`, so the same `WorkerAgent` loop drives both
backends: each arriving gradient is applied at once by the shared optimizer, under its lock, and the
weights it produced go back with the actor's next step (RLlib's asynchronous A3C).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from worker.core import Episode
from worker.hyperparams import Hyperparams


@dataclass(frozen=True)
class StepResult:
    """One actor step: what `WorkerCore.collect` and `WorkerCore.gradients` return, plus the sampler state."""

    grads: np.ndarray
    stats: dict[str, float]
    episodes: list[tuple[float, int]]
    steps: int
    rng_state: dict


class RolloutActor:
    """The body of a Ray actor (wrapped by `ray.remote` in the master, so importing this needs no Ray)."""

    def __init__(self, game: Any, hp: Hyperparams, recurrent: bool, seed: int, env_impl: str = "gymnasium") -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)  # one CPU per actor, as Ray schedules it
        tf.config.threading.set_inter_op_parallelism_threads(1)
        from worker.factory import make_core

        self.core = make_core(game, hp, seed, None, env_impl=env_impl, recurrent=recurrent)

    def pid(self) -> int:
        return os.getpid()

    def set_rng_state(self, state: dict) -> None:
        self.core.rng_state = state

    def step(self, flat_weights: np.ndarray) -> StepResult:
        self.core.load_flat(flat_weights)
        episodes, steps = self.core.collect()
        grads, stats = self.core.gradients()
        return StepResult(grads.numpy(), stats, [(e.episode_return, e.length) for e in episodes], steps,
                          self.core.rng_state)


class RemoteCore:
    """`WorkerCore`'s interface, served by a Ray actor: what `WorkerAgent` calls, one round trip per update.

    `collect` sends the weights of the last `pull` and receives the rollout's episodes and gradients;
    `gradients` hands those over. `pull` reads the global weights (inside the optimizer's lock when it is
    `apply`'s `then`).
    """

    def __init__(self, start_actor: Callable[[int], Any], seed: int, global_weights: Callable[[], np.ndarray]) -> None:
        self._start_actor = start_actor
        self._global_weights = global_weights
        self.actor = start_actor(seed)
        self.weights: np.ndarray | None = None
        self._result: StepResult | None = None
        self._rng_state: dict | None = None

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

    def collect(self) -> tuple[list[Episode], int]:
        import ray

        self._result = ray.get(self.actor.step.remote(self.weights))
        self._rng_state = self._result.rng_state
        return [Episode(r, n) for r, n in self._result.episodes], self._result.steps

    def gradients(self) -> tuple[np.ndarray, dict[str, float]]:
        return self._result.grads, self._result.stats

    @property
    def rng_state(self) -> dict | None:
        return self._rng_state

    @rng_state.setter
    def rng_state(self, state: dict) -> None:
        import ray

        ray.get(self.actor.set_rng_state.remote(state))
        self._rng_state = state
