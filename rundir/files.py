"""The files of a run directory: their names, reading and checking them, and the one atomic write they all use.

A reader (resume, `--eval`, `--plot`, the benchmarks) gets either what it asked for or one error whose message is a
single line for the user. Every whole-file writer in the tree goes through `AtomicWrite`, so a crash or Ctrl-C at any
moment leaves the old file or the new one, never half of one. Only `episodes.csv` is appended to instead; its reader
and its appender share one rule for a last line torn mid-write. No TensorFlow here: bad input is answered before it
loads.
"""

from __future__ import annotations

import csv
import json
import os
import re
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import numpy as np

CONFIG_FILE = "config.json"
EPISODES_FILE = "episodes.csv"
CHECKPOINT_DIR = "checkpoint"  # the latest weights, optimizer state and counters
BEST_DIR = "best"  # the weights with the best evaluation mean during training (no optimizer state)
CHECKPOINT_FILE = "checkpoint.npz"
MODEL_FILE = "model.keras"  # the same weights as a Keras model file, beside each checkpoint.npz
CHECKPOINT_PATH = Path(CHECKPOINT_DIR) / CHECKPOINT_FILE
MODEL_PATH = Path(CHECKPOINT_DIR) / MODEL_FILE
BEST_CHECKPOINT_PATH = Path(BEST_DIR) / CHECKPOINT_FILE
EVAL_FILE = "eval.csv"
ERROR_LOG = "error.log"
REWARDS_PNG = "rewards.png"
EPISODE_COLUMNS = ("episode", "worker", "return", "length", "global_step", "seconds")
# One row per evaluation during training: when (global step, seconds of training, training episodes finished so
# far) and the greedy episodes' scores (mean, std, min, max).
EVAL_COLUMNS = ("global_step", "seconds", "train_episodes", "mean", "std", "min", "max")


class RunDirError(ValueError):
    """A runs directory that cannot be written."""


class RunFileError(ValueError):
    """A file of a run directory that is missing, damaged or foreign; the message is one line for the user.

    `problem` says which ("no_run_dir", "missing", "unreadable", "foreign", "damaged") and `detail` why, so a
    command may word the same fault its own way (`--eval` and `--resume` always have)."""

    def __init__(self, message: str, problem: str = "damaged", path: Path | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.problem, self.path, self.detail = problem, path, detail


class ConfigError(RunFileError):
    """No readable `config.json` of a run."""


class CheckpointError(RunFileError):
    """A checkpoint that cannot be read, or belongs to another game or network."""


class EpisodesError(RunFileError):
    """No readable `episodes.csv` (or `eval.csv`) of a run."""


class AtomicWrite:
    """Replace `path` only with a complete file: write the temporary sibling `tmp`, then `commit()`.

    `commit()` syncs `tmp` to disk and renames it over `path`; `discard()` removes it. The rename is atomic because
    `tmp` is on the same filesystem, so a reader, or a crash at any moment, sees the old file or the new one. As a
    context manager it yields `tmp` and commits on success, discards on an exception:

        with AtomicWrite(path) as tmp:
            tmp.write_text(text)

    A write that spans calls (a video written frame by frame) calls `commit()` or `discard()` itself.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # Unique per process and thread; the suffix is kept for writers that pick a format by it (ffmpeg).
        stem, suffix = self.path.stem, self.path.suffix
        self.tmp = self.path.with_name(f".{stem}.{os.getpid()}.{threading.get_ident()}.tmp{suffix}")

    def __enter__(self) -> Path:
        self.discard()  # left by a killed writer that had our process id (a container's pid 1, say)
        return self.tmp

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def commit(self) -> Path:
        try:
            if not self.tmp.is_symlink():  # a symlink (the `latest` pointer) has no data of its own to sync
                fd = os.open(self.tmp, os.O_RDWR | getattr(os, "O_BINARY", 0))
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            os.replace(self.tmp, self.path)
        finally:
            self.discard()
        return self.path

    def discard(self) -> None:
        try:
            self.tmp.unlink(missing_ok=True)
        except OSError:
            pass  # cleaning up must never hide the error that brought us here


def create_run_dir(runs_dir: str | Path, game_id: str) -> Path:
    """`runs/<game>-<YYYYmmdd-HHMMSS>`, never reusing an existing directory. The game's name keeps letters, digits,
    `.`, `_` and `-`; anything else (the `/` of `ALE/Pong-v5`, the `:` of `module:id`) becomes `-`."""
    safe = re.sub(r"[^\w.-]+", "-", game_id, flags=re.ASCII).strip("-") or "game"
    base = Path(runs_dir) / f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        Path(runs_dir).mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            path = base if n == 1 else base.with_name(f"{base.name}-{n}")
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
    except OSError as exc:
        raise RunDirError(f"cannot create a run directory in '{runs_dir}': {exc.strerror or exc}") from None
    raise RunDirError(f"too many runs named {base.name} in '{runs_dir}'")


def write_config(run_dir: Path, record: dict[str, Any]) -> Path:
    """`config.json`, sorted and indented so that two runs' settings can be compared with diff."""
    path = Path(run_dir) / CONFIG_FILE
    with AtomicWrite(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def read_config(run_dir: str | Path) -> dict[str, Any]:
    """The whole `config.json` of the run at `run_dir`; ConfigError if there is none, or it is not a run's."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError(f"no run directory at '{run_dir}'", "no_run_dir", run_dir)
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"'{run_dir}' is not a run directory (no {CONFIG_FILE})", "missing", path)
    try:
        saved = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        raise ConfigError(f"cannot read '{path}': {exc}", "unreadable", path, str(exc)) from None
    config = saved.get("config") if isinstance(saved, dict) else None
    if not isinstance(config, dict) or not isinstance(config.get("game"), str):
        raise ConfigError(f"'{path}' is not a run's config (it has no config.game)", "foreign", path)
    return saved


def append_error_log(run_dir: Path, entry: str) -> None:
    """`error.log` keeps every failure's full traceback; the console gets one line."""
    with (Path(run_dir) / ERROR_LOG).open("a") as f:
        f.write(entry)


class Checkpoint(NamedTuple):
    """What a checkpoint holds; unpacks as (weights, optimizer_state, state)."""

    weights: list[np.ndarray]  # `model.get_weights()` order
    optimizer_state: list[np.ndarray]  # `optimizer.variables` order
    state: dict[str, Any]  # counters, RNG states, game and network, as JSON


def save_checkpoint(
    run_dir: Path,
    weights: list[np.ndarray],
    optimizer_state: list[np.ndarray],
    state: dict[str, Any],
    folder: str = CHECKPOINT_DIR,
) -> Path:
    """One `.npz` holds everything, so weights, optimizer slots and counters always belong together.

    `folder`: `checkpoint` (the run's latest state) or `best` (the best evaluated weights)."""
    path = Path(run_dir) / folder / CHECKPOINT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"model/{i}": np.asarray(w) for i, w in enumerate(weights)}
    arrays.update({f"optimizer/{i}": np.asarray(v) for i, v in enumerate(optimizer_state)})
    arrays["state"] = np.array(json.dumps(state))
    with AtomicWrite(path) as tmp, tmp.open("wb") as f:
        np.savez(f, **arrays)
    return path


def save_model(run_dir: Path, model: Any, folder: str = CHECKPOINT_DIR) -> Path:
    """The network as Keras 3's native `.keras` file (its class registered serializable in `models`), so that
    `keras.saving.load_model` rebuilds it anywhere the `models` package is importable."""
    path = Path(run_dir) / folder / MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with AtomicWrite(path) as tmp:  # the temporary keeps the `.keras` suffix Keras insists on
        model.save(tmp)
    return path


def read_checkpoint(run_dir: str | Path, folder: str = CHECKPOINT_DIR) -> Checkpoint:
    """The checkpoint of the run at `run_dir` (`folder`: `checkpoint` or `best`); every way it can fail is one
    CheckpointError."""
    path = Path(run_dir) / folder / CHECKPOINT_FILE
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at '{path}'", "missing", path)
    try:
        with np.load(path) as data:
            weights = _numbered(data, "model")
            optimizer_state = _numbered(data, "optimizer")
            state = json.loads(str(data["state"]))
        if not isinstance(state, dict):
            raise ValueError("its state is not a JSON object")
    except Exception as exc:  # zipfile.BadZipFile, KeyError, ValueError, EOFError, JSON errors...
        reason = (str(exc).splitlines() or [""])[0][:200]
        raise CheckpointError(f"checkpoint '{path}' is damaged ({type(exc).__name__})", "damaged", path,
                              reason or type(exc).__name__) from None  # fmt: skip
    if not weights:
        raise CheckpointError(f"checkpoint '{path}' holds no model weights", "foreign", path)
    return Checkpoint(weights, optimizer_state, state)


def _numbered(data: Any, prefix: str) -> list[np.ndarray]:
    """The arrays saved as `prefix/0`, `prefix/1`, ... in their order."""
    return [data[f"{prefix}/{i}"] for i in range(sum(k.startswith(f"{prefix}/") for k in data.files))]


def _complete_lines(data: bytes) -> bytes:
    """`data` up to its last line end: a last line without one was torn by a crash mid-write, not a record yet."""
    return data[: data.rfind(b"\n") + 1]


class CsvLog:
    """A CSV file with a fixed header, one row appended per record and flushed as it goes, so a crash loses nothing."""

    def __init__(self, path: Path, columns: tuple[str, ...], append: bool = False) -> None:
        """`append`: continue a resumed run's file, first cutting a last line torn by a crash mid-write."""
        self.path = Path(path)
        kept = 0
        if append and self.path.is_file():
            data = self.path.read_bytes()
            kept = len(_complete_lines(data))
            if kept < len(data):
                os.truncate(self.path, kept)
        self._file = self.path.open("a" if kept else "w", newline="")
        self._writer = csv.writer(self._file)
        if not kept:  # a new file, or one whose header itself was torn
            self._writer.writerow(columns)
            self._file.flush()

    def write_row(self, row: list[Any]) -> None:
        self._writer.writerow(row)
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class EpisodeLog(CsvLog):
    """`episodes.csv`, one row per finished episode."""

    def __init__(self, path: Path, append: bool = False) -> None:
        super().__init__(path, EPISODE_COLUMNS, append)

    def write(self, episode: int, worker: int, episode_return: float, length: int, global_step: int, seconds: float):
        self.write_row([episode, worker, f"{episode_return:g}", length, global_step, f"{seconds:.3f}"])


class EvalLog(CsvLog):
    """`eval.csv`, one row per evaluation during training."""

    def __init__(self, run_dir: Path, append: bool = False) -> None:
        super().__init__(Path(run_dir) / EVAL_FILE, EVAL_COLUMNS, append)

    def write(self, global_step: int, seconds: float, train_episodes: int, scores: np.ndarray) -> None:
        scores = np.asarray(scores, dtype=np.float64)
        stats = (scores.mean(), scores.std(), scores.min(), scores.max())
        self.write_row([global_step, f"{seconds:.3f}", train_episodes, *(f"{v:g}" for v in stats)])


def _read_csv(path: Path, columns: tuple[str, ...], kind: str) -> dict[str, np.ndarray]:
    """Columns of a CSV this module writes, as float arrays (a torn last line left out); EpisodesError if damaged."""
    try:
        text = _complete_lines(path.read_bytes()).decode()
    except UnicodeDecodeError:
        raise EpisodesError(f"'{path}' is not {kind} (not text)") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or tuple(header) != columns:
        raise EpisodesError(f"'{path}' is not {kind} (header {header})")
    rows = []
    for line_no, row in enumerate(reader, start=2):
        try:
            if len(row) != len(columns):
                raise ValueError
            rows.append([float(x) for x in row])
        except ValueError:
            raise EpisodesError(f"'{path}' line {line_no} is damaged: {','.join(row)!r}") from None
    table = np.array(rows, dtype=np.float64).reshape(-1, len(columns))
    return {name: table[:, i] for i, name in enumerate(columns)}


def read_episodes(run_dir: str | Path) -> dict[str, np.ndarray]:
    """Columns of a run's `episodes.csv` as arrays (a torn last line left out); EpisodesError if unreadable."""
    path = Path(run_dir) / EPISODES_FILE
    if not Path(run_dir).is_dir():
        raise EpisodesError(f"no run directory at '{run_dir}'")
    if not path.is_file():
        raise EpisodesError(f"'{run_dir}' holds no run (no {EPISODES_FILE})")
    return _read_csv(path, EPISODE_COLUMNS, "an episodes file")


def read_evals(run_dir: str | Path) -> dict[str, np.ndarray]:
    """Columns of a run's `eval.csv`; empty columns for a run that never evaluated (no file)."""
    path = Path(run_dir) / EVAL_FILE
    if not path.is_file():
        return {name: np.zeros(0) for name in EVAL_COLUMNS}
    return _read_csv(path, EVAL_COLUMNS, "an evaluations file")
