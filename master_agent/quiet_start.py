"""Keep TensorFlow's and ale-py's start-up notices off a user's terminal.

On CPUs with AVX-512 VNNI/BF16 TensorFlow turns oneDNN on and logs it (and absl a preamble) while `import
tensorflow` runs, before it reads TF_CPP_MIN_LOG_LEVEL; ale-py prints a banner when its first game loads. A user
should see only the project's output, so the first TensorFlow import runs with fd 2 captured and replayed without
the records below the log level, and ale-py logs errors only. No TensorFlow import here.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Iterator

# TensorFlow's C++ logging, glog style ("I0000 00:00:1795288466.985858    3732 port.cc:153] oneDNN custom ..."), and
# absl's line before its logging is set up. While `import tensorflow` runs, TF logs before it has read
# TF_CPP_MIN_LOG_LEVEL (oneDNN and CPU-feature notices on AVX-512 CPUs), so the level is applied here instead.
TF_LOG_RECORD = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:[\d.]+\s+\d+ \S+:\d+\] ")
ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"


def muted_tf_log(text: str, min_level: int) -> str:
    """`text` without TF's C++ log records below `min_level` (0 INFO, 1 WARNING, 2 ERROR, 3 FATAL; lines that
    follow a record without a header of their own belong to it) and absl's preamble; anything else stays."""
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        record = TF_LOG_RECORD.match(line)
        if record is not None:
            dropping = "IWEF".index(record.group(1)) < min_level
        elif line.rstrip("\n") == ABSL_PREAMBLE:  # one line of its own, not a record's continuation
            if min_level <= 0:
                kept.append(line)
            dropping = False
            continue
        if not dropping:
            kept.append(line)
    return "".join(kept)


@contextlib.contextmanager
def tf_log_muted() -> Iterator[None]:
    """Meanwhile, what native code writes to fd 2 goes to a temporary file, replayed afterwards without TF's log
    records below TF_CPP_MIN_LOG_LEVEL; Python's own `sys.stderr` (warnings, tracebacks) stays on the terminal."""
    try:
        min_level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        min_level = 0
    if min_level <= 0:
        yield
        return
    python_stderr = sys.stderr
    python_stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile(mode="w+b") as capture:
            os.dup2(capture.fileno(), 2)
            sys.stderr = open(
                saved, "w", buffering=1, encoding=python_stderr.encoding, errors="backslashreplace", closefd=False
            )
            try:
                yield
            finally:
                sys.stderr.flush()
                sys.stderr = python_stderr
                os.dup2(saved, 2)
                capture.seek(0)
                rest = muted_tf_log(capture.read().decode("utf-8", "backslashreplace"), min_level)
                if rest:
                    python_stderr.write(rest)
                    python_stderr.flush()
    finally:
        os.close(saved)


class QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Runs the first `import tensorflow`, wherever it happens (keras, a model, the master), under `tf_log_muted`:
    a user sees the project's output, not TF's start-up notices. Leaves `sys.meta_path` as soon as it is used."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None and not isinstance(spec.loader, type):
            exec_module = spec.loader.exec_module

            def quiet_exec_module(module) -> None:
                with tf_log_muted():
                    exec_module(module)

            spec.loader.exec_module = quiet_exec_module  # this spec's own loader instance only
        return spec


def quiet_tensorflow_import() -> None:
    if "tensorflow" not in sys.modules and not any(isinstance(f, QuietTensorFlowImport) for f in sys.meta_path):
        sys.meta_path.insert(0, QuietTensorFlowImport())


def quiet_atari() -> None:
    """ale-py prints its banner ("A.L.E: Arcade Learning Environment ...") on stderr when the first game of the
    process loads; keep only its errors. Call before a game is resolved (ale-py is imported there anyway)."""
    try:
        import ale_py
    except ImportError:
        return
    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)
