"""Shared helpers: the repository root and a way to run the command line as a user does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
RUN_PY = REPO_ROOT / "run.py"

# Keep TensorFlow's start-up chatter out of the test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EPISODES_HEADER = "episode,worker,return,length,global_step,seconds"


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    # As a user runs it: run.py itself must keep TensorFlow's start-up chatter off stderr.
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    env["MPLBACKEND"] = "Agg"
    env.pop("DISPLAY", None)
    return env


def ignore_sigint() -> None:
    """In the child before exec: SIGINT ignored, as a background job of a non-interactive shell inherits it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_cli(args: list[str], cwd: Path, sigint_ignored: bool = False) -> subprocess.Popen:
    """`python run.py ARGS` from `cwd` (never the repository, so nothing lands in it); `sigint_ignored`: started
    with SIGINT ignored."""
    return subprocess.Popen(
        [sys.executable, str(RUN_PY), *map(str, args)],
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore_sigint if sigint_ignored else None,
    )


def finish(proc: subprocess.Popen, timeout: float) -> subprocess.CompletedProcess:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"{proc.args} ran past {timeout} s\nstdout:\n{out}\nstderr:\n{err}") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_cli(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return finish(start_cli(args, cwd), timeout)


def is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > len(PNG_MAGIC) and path.read_bytes()[:8] == PNG_MAGIC


def run_dirs(runs: Path) -> list[Path]:
    """The run directories under a runs dir, without its `latest` pointer."""
    return sorted(p for p in runs.iterdir() if p.is_dir() and not p.is_symlink() and p.name != "latest")


def outputs_of_keras_file(model_file: Path, obs: np.ndarray, tmp_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(policy parameters, values) of `model_file` on `obs`, as `keras.saving.load_model` rebuilds it in a fresh
    Python process that imports only keras and the project's `models` package (which registers the classes)."""
    np.save(tmp_path / "obs.npy", obs)
    code = (
        f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r}); import keras, numpy as np, models; "
        f"m = keras.saving.load_model({str(model_file)!r}); p, v = m(np.load({str(tmp_path / 'obs.npy')!r})); "
        f"np.save({str(tmp_path / 'p.npy')!r}, np.asarray(p)); np.save({str(tmp_path / 'v.npy')!r}, np.asarray(v))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return np.load(tmp_path / "p.npy"), np.load(tmp_path / "v.npy")
