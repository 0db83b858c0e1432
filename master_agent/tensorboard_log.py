"""TensorBoard event files for a run, under `<run dir>/tensorboard` (view with `tensorboard --logdir runs`).

Tags, all against the global step (environment steps, all workers together):

    episode/return, episode/length, episode/moving_average     every finished episode
    worker_<i>/episode_return                                  the same return, one curve per worker
    loss/total, loss/policy, loss/value, policy/entropy,
    optim/grad_norm, optim/learning_rate, perf/steps_per_second  an update's statistics
    worker_<i>/loss, worker_<i>/entropy, worker_<i>/grad_norm   the same per worker (spot a diverging one)
    eval/mean_return, eval/std_return                          each evaluation during training (greedy episodes)
    eval/confirmed_return                                      each confirmation of one that reached the target

Writing is batched: `episode` and `update` only append to a buffer (microseconds; the master calls them for
every episode and every update), and at most once a second the buffer goes to the event file in one call
of a traced `tf.function` (`tf.summary.write` with the scalars plugin's metadata, which is what
`tf.summary.scalar` writes). One eager `tf.summary.scalar` per value would cost ~0.3-0.6 ms each: several
ms per update, too much for a master that sees hundreds of updates per second. Safe to call from several
threads (one lock around the buffer and the writer).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import tensorflow as tf

TENSORBOARD_DIR = "tensorboard"
FLUSH_EVERY_MS = 5_000  # TensorBoard shows a live run within ~5 s (the default is 2 minutes)
WRITE_EVERY_S = 1.0  # buffered scalars go to the writer at most this often
MAX_BUFFERED = 10_000  # ...or once this many are waiting


class TensorBoardLog:
    def __init__(self, run_dir: Path) -> None:
        from tensorboard.plugins.scalar import metadata as scalar_metadata

        self.directory = Path(run_dir) / TENSORBOARD_DIR
        self.directory.mkdir(parents=True, exist_ok=True)
        self._writer = tf.summary.create_file_writer(str(self.directory), flush_millis=FLUSH_EVERY_MS)
        self._lock = threading.Lock()
        self._closed = False
        self._tags: list[str] = []
        self._steps: list[int] = []
        self._values: list[float] = []
        self._last_write = time.monotonic()
        plugin = scalar_metadata.create_summary_metadata(display_name=None, description=None).SerializeToString()

        def write(tags, steps, values):
            for i in tf.range(tf.shape(tags)[0]):
                tf.summary.write(tags[i], values[i], step=steps[i], metadata=plugin)

        with self._writer.as_default():  # the writer is bound when the graph is traced, here, once
            self._write_batch = tf.function(
                write,
                input_signature=[
                    tf.TensorSpec([None], tf.string),
                    tf.TensorSpec([None], tf.int64),
                    tf.TensorSpec([None], tf.float32),
                ],
            ).get_concrete_function()

    def _add(self, global_step: int, scalars: dict[str, float | None]) -> None:
        with self._lock:
            if self._closed:
                return
            for tag, value in scalars.items():
                if value is not None:
                    self._tags.append(tag)
                    self._steps.append(int(global_step))
                    self._values.append(float(value))
            if len(self._tags) >= MAX_BUFFERED or time.monotonic() - self._last_write >= WRITE_EVERY_S:
                self._write_buffer()

    def _write_buffer(self) -> None:
        """Hand the buffered scalars to the writer (call with the lock held)."""
        self._last_write = time.monotonic()
        if not self._tags:
            return
        tags, steps, values = self._tags, self._steps, self._values
        self._tags, self._steps, self._values = [], [], []
        with self._writer.as_default():
            self._write_batch(tf.constant(tags), tf.constant(steps, tf.int64), tf.constant(values, tf.float32))

    def episode(
        self, global_step: int, worker: int, episode_return: float, length: int, moving_average: float | None
    ) -> None:
        """One finished episode; `moving_average` None while the window is still filling (not written)."""
        self._add(
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
        entropy_beta: float | None = None,
    ) -> None:
        """An update's statistics (`worker.core.STAT_NAMES`: loss, policy_loss, value_loss, entropy, grad_norm)."""
        self._add(
            global_step,
            {
                "loss/total": stats.get("loss"),
                "loss/policy": stats.get("policy_loss"),
                "loss/value": stats.get("value_loss"),
                "policy/entropy": stats.get("entropy"),
                "optim/grad_norm": stats.get("grad_norm"),
                "optim/learning_rate": learning_rate,
                "optim/entropy_beta": entropy_beta,
                "perf/steps_per_second": steps_per_second,
                f"worker_{worker}/loss": stats.get("loss"),
                f"worker_{worker}/entropy": stats.get("entropy"),
                f"worker_{worker}/grad_norm": stats.get("grad_norm"),
            },
        )

    def evaluation(self, global_step: int, mean: float, std: float) -> None:
        """One evaluation during training: the mean and spread of its greedy episodes' scores."""
        self._add(global_step, {"eval/mean_return": mean, "eval/std_return": std})

    def confirmation(self, global_step: int, mean: float) -> None:
        """The mean of a confirmation's fresh greedy episodes, at the step of the weights it confirmed (or not)."""
        self._add(global_step, {"eval/confirmed_return": mean})

    def flush(self) -> None:
        """Everything logged so far onto disk now."""
        with self._lock:
            if not self._closed:
                self._write_buffer()
                self._writer.flush()

    def close(self) -> None:
        """Write what is buffered and close the event file; later writes are ignored."""
        with self._lock:
            if not self._closed:
                self._write_buffer()
                self._closed = True
                self._writer.close()
