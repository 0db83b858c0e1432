"""A3C worker: what it computes (`worker.core`), the thread that runs it (`worker.thread`), its settings.

Import `worker.core` / `worker.thread` directly: this package itself stays free of TensorFlow, so that
`run.py --help` and bad command lines answer at once instead of after TensorFlow's ~5 s import.
"""

from worker.hyperparams import Hyperparams

__all__ = ["Hyperparams"]
