"""Where workers run: threads of this process (the default) or Ray actors, on this machine or a cluster.

A backend makes the workers' cores; the master wraps each in the same `WorkerAgent` loop and applies
every gradient with the same shared optimizer, so both backends train the same algorithm.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Protocol

from envs import GameSpec
from envs.normalize import Normalizer
from master_agent.config import RunConfig
from master_agent.shared_optimizer import SharedOptimizer
from worker.factory import fresh_env, make_core
from worker.ray_actor import RemoteCore, RolloutActor

ROOT = Path(__file__).resolve().parent.parent
# What an actor process imports: shipped to every node, so a cluster needs only the requirements installed.
ACTOR_PACKAGES = ("envs", "models", "memory", "worker")


class BackendError(RuntimeError):
    """The backend cannot start: Ray missing, unreachable, or too small for the workers asked for."""


class Backend(Protocol):
    def make_cores(self, seeds: list[int]) -> list: ...
    def restart(self, core, seed: int) -> None: ...
    def describe(self) -> str: ...
    def close(self) -> None: ...


class ThreadBackend:
    """Each worker a thread here, with its own environments and local model; weights pulled in-graph."""

    def __init__(
        self,
        config: RunConfig,
        game: GameSpec,
        network: str,
        optimizer: SharedOptimizer,
        normalizer: Normalizer | None = None,
    ):
        self.config, self.game, self.network, self.optimizer = config, game, network, optimizer
        self.normalizer = normalizer

    def make_cores(self, seeds: list[int]) -> list:
        c = self.config
        return [
            make_core(
                self.game,
                self.network,
                c.hyperparams,
                seed,
                self.optimizer.variables,
                env_impl=c.env_impl,
                name=f"local_{worker_id}",
                global_normalizer=self.normalizer,
            )
            for worker_id, seed in enumerate(seeds)
        ]

    def restart(self, core, seed: int) -> None:
        """Same local model and compiled functions, fresh episodes."""
        core.start_episodes(fresh_env(core, self.game, self.network, self.config.hyperparams), seed)

    def describe(self) -> str:
        envs = " (in TensorFlow)" if self.config.env_impl == "tf" else ""
        return f"{self.config.workers} threads x {self.config.hyperparams.envs_per_worker} environments{envs}"

    def close(self) -> None:
        pass


class RayBackend:
    """Each worker a Ray actor (one CPU, its own process); this process keeps the global model."""

    def __init__(
        self,
        config: RunConfig,
        game: GameSpec,
        network: str,
        optimizer: SharedOptimizer,
        normalizer: Normalizer | None = None,
    ):
        try:
            import ray
        except ImportError:
            raise BackendError("--backend ray needs Ray: pip install -r requirements-ray.txt") from None
        self.config, self.game, self.network, self.optimizer = config, game, network, optimizer
        self.normalizer = normalizer
        self.address = config.ray_address
        runtime_env = {
            "py_modules": [str(ROOT / name) for name in ACTOR_PACKAGES],
            "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"},
        }
        common = dict(log_to_driver=False, logging_level=logging.WARNING, runtime_env=runtime_env)
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if self.address is None:  # a private local cluster, gone when the run ends
                ray.init(num_cpus=max(os.cpu_count() or 1, config.workers), include_dashboard=False, **common)
            else:
                ray.init(address=self.address, **common)
        except Exception as exc:  # ConnectionError, ValueError for a malformed address, ...
            raise BackendError(f"cannot start or reach Ray at '{self.address or 'local'}': {exc}") from None
        finally:  # Ray's driver installs its own SIGTERM handler (dump and exit); Ctrl-C/SIGTERM must save the run
            if threading.current_thread() is threading.main_thread():
                for sig, handler in handlers.items():
                    signal.signal(sig, handler)
        free = ray.available_resources().get("CPU", 0)
        if free < config.workers:
            ray.shutdown()
            raise BackendError(f"the Ray cluster has {free:g} free CPUs; --workers {config.workers} needs one each")
        self.nodes = len([n for n in ray.nodes() if n.get("Alive")])
        self._actor_class = ray.remote(num_cpus=1, max_restarts=0)(RolloutActor)

    def _start_actor(self, seed: int):
        hp = self.config.hyperparams
        return self._actor_class.remote(self.game, self.network, hp, seed, self.config.env_impl)

    def make_cores(self, seeds: list[int]) -> list[RemoteCore]:
        import ray

        normalizer_state = self.normalizer.state if self.normalizer is not None else None
        cores = [RemoteCore(self._start_actor, seed, self.optimizer.flat_weights, normalizer_state) for seed in seeds]
        try:
            for core in cores:  # all actors start side by side; wait for every one
                core.wait_ready()
        except ray.exceptions.RayError as exc:
            self.close()
            raise BackendError(f"a Ray actor failed to start: {str(exc).strip().splitlines()[-1]}") from None
        return cores

    def restart(self, core: RemoteCore, seed: int) -> None:
        core.restart(seed)

    def describe(self) -> str:
        where = "local Ray" if self.address is None else f"Ray cluster {self.address}, {self.nodes} nodes"
        return f"{self.config.workers} Ray actors x {self.config.hyperparams.envs_per_worker} environments ({where})"

    def close(self) -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()  # a local cluster stops; on a shared cluster our actors end with the job


def make_backend(
    config: RunConfig, game: GameSpec, network: str, optimizer: SharedOptimizer, normalizer: Normalizer | None = None
) -> Backend:
    """`normalizer`: the shared observation/reward statistics (None: normalization off), which workers pull with
    the weights."""
    if config.backend == "ray":
        return RayBackend(config, game, network, optimizer, normalizer)
    return ThreadBackend(config, game, network, optimizer, normalizer)
