"""How many gradient messages per second the master can apply: where `--backend ray` stops scaling.

    python bench/ray_master_capacity.py [--seconds 10] [--actors 1 2]

1. In process: the shared optimizer's locked apply of one flat gradient plus reading back the flat weights
   (what the master does per message), for the CartPole MLP and the Atari CNN-LSTM.
2. Through Ray: actors that answer each `step` at once with a stored gradient (no environment, no network),
   driven by the master's real loop (`WorkerAgent` + `RemoteCore`): messages per second including
   serialisation and the object store, the ceiling that no number of real actors can pass.
Needs requirements-ray.txt.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from master_agent.quiet_start import quiet_tensorflow_import  # noqa: E402

quiet_tensorflow_import()  # TensorFlow's start-up notices stay off stderr, as with run.py

import numpy as np  # noqa: E402

from master_agent.backends import ACTOR_PACKAGES, ROOT  # noqa: E402
from master_agent.config import ATARI_DEFAULTS, CLASSIC_TF_DEFAULTS, GameDefaults  # noqa: E402
from master_agent.master import configure_tensorflow_threads  # noqa: E402
from master_agent.shared_optimizer import SharedOptimizer, StepCounter  # noqa: E402
from models import Categorical, build_model  # noqa: E402
from worker.core import Update  # noqa: E402
from worker.ray_actor import RemoteCore, StepResult  # noqa: E402
from worker.thread import WorkerAgent  # noqa: E402

# Network, observation shape, actions, and the kind's defaults (lr; a message carries E x t_max steps).
NETWORKS = {
    "CartPole MLP": ("mlp", (4,), 2, CLASSIC_TF_DEFAULTS),
    "Atari CNN-LSTM": ("cnn_lstm", (84, 84), 6, ATARI_DEFAULTS),
}


class EchoActor:
    """Answers every step at once with the same gradient: the master's cost per message, nothing else."""

    def __init__(self, num_params: int, steps: int) -> None:
        self.result = StepResult(Update(np.full(num_params, 1e-6, np.float32), {"grad_norm": 0.0}, [], steps), {})

    def pid(self) -> int:
        return os.getpid()

    def set_rng_state(self, state: dict) -> None:
        pass

    def step(self, flat_weights: np.ndarray) -> StepResult:
        return self.result


def steps_per_message(defaults: GameDefaults) -> int:
    return defaults.envs_per_worker * defaults.t_max


def local_rate(optimizer: SharedOptimizer, seconds: float) -> float:
    grads = np.full(optimizer.num_params, 1e-6, np.float32)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        optimizer.apply(grads)
        with optimizer.lock:
            optimizer.flat_weights()
        n += 1
    return n / (time.perf_counter() - start)


def ray_rate(optimizer: SharedOptimizer, actors: int, seconds: float, steps: int) -> float:
    import ray

    echo = ray.remote(num_cpus=0)(EchoActor)
    cores = [
        RemoteCore(lambda seed: echo.remote(optimizer.num_params, steps), i, optimizer.flat_weights)
        for i in range(actors)
    ]
    for core in cores:
        core.wait_ready()
    stop, results = threading.Event(), queue.Queue()
    counter = StepCounter()
    workers = [WorkerAgent(i, core, optimizer, counter, results, stop) for i, core in enumerate(cores)]
    before = optimizer.updates
    start = time.perf_counter()
    for w in workers:
        w.start()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join()
    rate = (optimizer.updates - before) / (time.perf_counter() - start)
    for core in cores:
        ray.kill(core.actor)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    configure_tensorflow_threads()
    import ray

    ray.init(
        num_cpus=os.cpu_count(),
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
        runtime_env={"py_modules": [str(ROOT / name) for name in ACTOR_PACKAGES]},
    )
    for name, (network, shape, actions, defaults) in NETWORKS.items():
        model = build_model(network, shape, Categorical(actions), name="global")
        optimizer = SharedOptimizer(model, defaults.learning_rate)
        local = local_rate(optimizer, args.seconds)
        print(
            f"{name} ({optimizer.num_params:,} parameters, {optimizer.num_params * 4 / 1e6:.2f} MB per message "
            f"each way): in-process apply + weights {local:,.0f}/s",
            flush=True,
        )
        for n in args.actors:
            rate = ray_rate(optimizer, n, args.seconds, steps_per_message(defaults))
            print(f"    through Ray, {n} echo actor(s): {rate:,.0f} messages/s", flush=True)
    ray.shutdown()


if __name__ == "__main__":
    main()
