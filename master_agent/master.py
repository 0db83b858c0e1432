"""MasterAgent: owns the global model and shared optimizer, runs the workers, logs and stops the run."""

from __future__ import annotations

import collections
import json
import platform
import queue
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import tensorflow as tf

from envs import GameSpec, make_vector_env
from master_agent.checkpoint import save_checkpoint, snapshot
from master_agent.config import RunConfig
from master_agent.run_dir import EpisodeLog, create_run_dir, write_json_atomic
from master_agent.shared_optimizer import SharedOptimizer, StepCounter
from models import build_model
from plots import draw_reward_curves, read_episodes
from worker.core import WorkerCore
from worker.thread import EpisodeResult, WorkerAgent, WorkerFailure

PROGRESS_EVERY_S = 2.0
PLOT_EVERY_S = 30.0


@dataclass(frozen=True)
class TrainResult:
    solved: bool
    reason: str  # solved | max_steps | max_episodes | max_seconds | interrupted | worker_failed
    episodes: int
    steps: int
    seconds: float
    best_average: float | None
    run_dir: Path
    exit_code: int


def configure_tensorflow_threads() -> None:
    """Workers, not TensorFlow's own pools, fill the cores: one intra- and one inter-op thread.

    Must run before TensorFlow executes its first op; later calls (a second run in one process) keep
    whatever was set first.
    """
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass


def package_versions() -> dict[str, str]:
    import ale_py
    import gymnasium
    import numpy

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "gymnasium": gymnasium.__version__,
        "ale_py": ale_py.__version__,
        "numpy": numpy.__version__,
    }


class MasterAgent:
    def __init__(self, config: RunConfig, game: GameSpec) -> None:
        self.config = config
        self.game = game
        self.run_dir = create_run_dir(config.runs_dir, game.game_id)
        configure_tensorflow_threads()
        keras.utils.set_random_seed(config.seed)

        envs = [
            make_vector_env(game, config.hyperparams.envs_per_worker, recurrent=config.cnn_lstm)
            for _ in range(config.workers)
        ]
        self.obs_shape = tuple(envs[0].single_observation_space.shape)  # after preprocessing
        self.global_model = build_model(self.obs_shape, game.n_actions, name="global")
        self.optimizer = SharedOptimizer(self.global_model, config.learning_rate)
        self.counter = StepCounter()
        self.results: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.workers = [self._make_worker(i, env) for i, env in enumerate(envs)]

    def _make_worker(self, worker_id: int, env) -> WorkerAgent:
        hp = self.config.hyperparams
        local_model = build_model(self.obs_shape, self.game.n_actions, name=f"local_{worker_id}")
        seed = self.config.seed * 10_000 + worker_id * hp.envs_per_worker
        core = WorkerCore(local_model, self.optimizer.variables, env, hp, seed=seed)
        return WorkerAgent(worker_id, core, self.optimizer, self.counter, self.results, self.stop)

    def _write_config(self) -> None:
        write_json_atomic(
            self.run_dir / "config.json",
            {
                "config": asdict(self.config),
                "game": asdict(self.game),
                "network": type(self.global_model).__name__,
                "observation_shape": list(self.obs_shape),
                "versions": package_versions(),
                "command": sys.argv,
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )

    def train(self) -> TrainResult:
        cfg = self.config
        self._write_config()
        log = EpisodeLog(self.run_dir / "episodes.csv")
        window: collections.deque[float] = collections.deque(maxlen=cfg.target_window)
        episodes, best_average, reason, failure, interrupt_code = 0, None, "", None, 130
        solved_at: tuple[int, int, float] | None = None

        start = time.perf_counter()
        for w in self.workers:
            w.start()
        next_progress, next_plot = start + PROGRESS_EVERY_S, start + PLOT_EVERY_S
        next_checkpoint = start + cfg.checkpoint_every
        try:
            while not reason:
                try:
                    item = self.results.get(timeout=0.1)
                except queue.Empty:
                    item = None
                now = time.perf_counter()
                if isinstance(item, WorkerFailure):
                    failure, reason = item, "worker_failed"
                elif isinstance(item, EpisodeResult):
                    episodes += 1
                    log.write(episodes, item.worker, item.episode_return, item.length, item.global_step, now - start)
                    window.append(item.episode_return)
                    if len(window) == cfg.target_window:
                        average = sum(window) / len(window)
                        best_average = average if best_average is None else max(best_average, average)
                        if cfg.target_reward is not None and average >= cfg.target_reward:
                            reason, solved_at = "solved", (episodes, item.global_step, now - start)
                steps = self.counter.value
                if not reason:
                    if cfg.max_steps is not None and steps >= cfg.max_steps:
                        reason = "max_steps"
                    elif cfg.max_episodes is not None and episodes >= cfg.max_episodes:
                        reason = "max_episodes"
                    elif cfg.max_seconds is not None and now - start >= cfg.max_seconds:
                        reason = "max_seconds"
                if now >= next_progress:
                    self._print_progress(steps, episodes, window, best_average, now - start)
                    next_progress = now + PROGRESS_EVERY_S
                if now >= next_plot:
                    self._draw_curves()
                    next_plot = time.perf_counter() + PLOT_EVERY_S
                if now >= next_checkpoint:
                    self._save_checkpoint(episodes, now - start)
                    next_checkpoint = time.perf_counter() + cfg.checkpoint_every
        except KeyboardInterrupt as stop_signal:  # Ctrl-C, or SIGTERM turned into one by run.py
            reason = "interrupted"
            interrupt_code = getattr(stop_signal, "exit_code", 130)
        finally:
            self.stop.set()
            for w in self.workers:
                w.join(timeout=30)
            seconds = time.perf_counter() - start
            # Episodes that finished while the workers were stopping still happened: keep them.
            while True:
                try:
                    item = self.results.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, EpisodeResult):
                    episodes += 1
                    log.write(episodes, item.worker, item.episode_return, item.length, item.global_step, seconds)
                elif failure is None and isinstance(item, WorkerFailure):
                    failure = item
            log.close()
            self._save_checkpoint(episodes, seconds)
            self._draw_curves()

        if failure is not None:
            (self.run_dir / "error.log").write_text(failure.traceback)
            reason = "worker_failed"
            print(f"error: worker {failure.worker} failed: {failure.error} (traceback in {self.run_dir / 'error.log'})",
                  file=sys.stderr)
        steps = self.counter.value
        if solved_at is not None:
            episodes_s, steps_s, seconds_s = solved_at
        else:
            episodes_s, steps_s, seconds_s = episodes, steps, seconds
        result = TrainResult(
            solved=reason == "solved",
            reason=reason,
            episodes=episodes_s,
            steps=steps_s,
            seconds=seconds_s,
            best_average=best_average,
            run_dir=self.run_dir,
            exit_code={"interrupted": interrupt_code, "worker_failed": 1}.get(reason, 0),
        )
        self._print_summary(result)
        return result

    def _save_checkpoint(self, episodes: int, seconds: float) -> None:
        with self.optimizer.lock:  # weights and Adam slots from the same update
            weights, optimizer_state = snapshot(self.global_model, self.optimizer.optimizer)
            updates = self.optimizer.updates
        state = {
            "global_step": self.counter.value,
            "episodes": episodes,
            "seconds": seconds,
            "updates": updates,
            "skipped_updates": sum(w.skipped_updates for w in self.workers),
            "seed": self.config.seed,
            "game": self.game.game_id,
        }
        save_checkpoint(self.run_dir / "checkpoint", weights, optimizer_state, state)

    def _draw_curves(self) -> None:
        episodes = read_episodes(self.run_dir)
        if len(episodes["episode"]):
            draw_reward_curves(
                [(self.game.game_id, episodes)],
                self.run_dir / "rewards.png",
                window=self.config.target_window,
                target=self.config.target_reward,
            )

    def _print_progress(self, steps, episodes, window, best_average, seconds) -> None:
        average = f"{sum(window) / len(window):7.1f}" if window else "    n/a"
        print(
            f"steps {steps:>10,} | {steps / max(seconds, 1e-9):>8,.0f} steps/s | episodes {episodes:>6,} | "
            f"avg{self.config.target_window} {average} | {seconds:6.1f} s",
            flush=True,
        )

    def _print_summary(self, r: TrainResult) -> None:
        best = f"{r.best_average:.1f}" if r.best_average is not None else "n/a"
        verdict = "solved" if r.solved else f"not solved ({r.reason.replace('_', ' ')})"
        print(
            f"{verdict}: {self.game.game_id} | episodes {r.episodes:,} | steps {r.steps:,} | "
            f"{r.seconds:.1f} s | best avg{self.config.target_window} {best} | run {r.run_dir}",
            flush=True,
        )
