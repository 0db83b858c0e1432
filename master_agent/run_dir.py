"""The run directory on disk: its name, atomic JSON writes, and the per-episode CSV log."""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import Any

from plots import EPISODE_COLUMNS


class RunDirError(ValueError):
    """A runs directory that cannot be written."""


def create_run_dir(runs_dir: str | Path, game_id: str) -> Path:
    """`runs/<game>-<YYYYmmdd-HHMMSS>`, never reusing an existing directory."""
    base = Path(runs_dir) / f"{game_id.replace('/', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
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


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write to a temporary file and rename it into place, so a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class EpisodeLog:
    """`episodes.csv`, one row per finished episode, flushed as it goes so a crash loses nothing."""

    def __init__(self, path: Path, append: bool = False) -> None:
        """`append`: continue a resumed run's log, first cutting a last line torn by a crash mid-write."""
        self.path = path
        if append:
            data = path.read_bytes()
            if data and not data.endswith(b"\n"):
                with path.open("r+b") as f:
                    f.truncate(data.rfind(b"\n") + 1)
            self._file = path.open("a", newline="")
            self._writer = csv.writer(self._file)
        else:
            self._file = path.open("w", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(EPISODE_COLUMNS)
            self._file.flush()

    def write(self, episode: int, worker: int, episode_return: float, length: int, global_step: int, seconds: float):
        self._writer.writerow([episode, worker, f"{episode_return:g}", length, global_step, f"{seconds:.3f}"])
        self._file.flush()

    def close(self) -> None:
        self._file.close()
