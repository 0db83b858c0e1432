"""TensorBoard event files for a run, under `<run dir>/tensorboard` (view with `tensorboard --logdir runs`).

Tags, all against the global step (environment steps, all workers together):

    episode/return, episode/length, episode/moving_average     every finished episode
    worker_<i>/episode_return                                  the same return, one curve per worker
    loss/total, loss/policy, loss/value, policy/entropy,
    optim/grad_norm, optim/learning_rate, perf/steps_per_second  an update's statistics
    worker_<i>/loss, worker_<i>/entropy, worker_<i>/grad_norm   the same per worker (spot a diverging one)

Each write is a few eager `tf.summary` ops (tens of microseconds): log every episode, but an update's
statistics only every second or so, not each of the hundreds of updates per second a small game makes.
Safe to call from several threads (one lock around the writer).
"""

from __future__ import annotations

import threading
from pathlib import Path

import tensorflow as tf

TENSORBOARD_DIR = "tensorboard"
FLUSH_EVERY_MS = 5_000  # TensorBoard shows a live run within ~5 s (the default is 2 minutes)


class TensorBoardLog:
    def __init__(self, run_dir: Path) -> None:
        self.directory = Path(run_dir) / TENSORBOARD_DIR
        self.directory.mkdir(parents=True, exist_ok=True)
        self._writer = tf.summary.create_file_writer(str(self.directory), flush_millis=FLUSH_EVERY_MS)
        self._lock = threading.Lock()
        self._closed = False

    def _write(self, global_step: int, scalars: dict[str, float | None]) -> None:
        with self._lock:
            if self._closed:
                return
            with self._writer.as_default(step=int(global_step)):
                for tag, value in scalars.items():
                    if value is not None:
                        tf.summary.scalar(tag, float(value))

    def episode(
        self, global_step: int, worker: int, episode_return: float, length: int, moving_average: float | None
    ) -> None:
        """One finished episode; `moving_average` None while the window is still filling (not written)."""
        self._write(
            global_step,
            {
                "episode/return": episode_return,
                "episode/length": length,
                "episode/moving_average": moving_average,
                f"worker_{worker}/episode_return": episode_return,
            },
        )

    def update(
        self,
        global_step: int,
        worker: int,
        stats: dict[str, float],
        learning_rate: float,
        steps_per_second: float,
    ) -> None:
        """An update's statistics (`worker.core.STAT_NAMES`: loss, policy_loss, value_loss, entropy, grad_norm)."""
        self._write(
            global_step,
            {
                "loss/total": stats.get("loss"),
                "loss/policy": stats.get("policy_loss"),
                "loss/value": stats.get("value_loss"),
                "policy/entropy": stats.get("entropy"),
                "optim/grad_norm": stats.get("grad_norm"),
                "optim/learning_rate": learning_rate,
                "perf/steps_per_second": steps_per_second,
                f"worker_{worker}/loss": stats.get("loss"),
                f"worker_{worker}/entropy": stats.get("entropy"),
                f"worker_{worker}/grad_norm": stats.get("grad_norm"),
            },
        )

    def flush(self) -> None:
        with self._lock:
            if not self._closed:
                self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file; later writes are ignored."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._writer.close()
