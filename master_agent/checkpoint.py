"""Global weights, optimizer state and counters in one file, replaced atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # reading a checkpoint (resume, eval) must not load TensorFlow
    import keras

CHECKPOINT_FILE = "checkpoint.npz"


def snapshot(model: "keras.Model", optimizer: "keras.optimizers.Optimizer") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights and optimizer slots as NumPy copies; take it under the optimizer's lock for a consistent pair."""
    return model.get_weights(), [np.array(v) for v in optimizer.variables]


def save_checkpoint(
    directory: Path, weights: list[np.ndarray], optimizer_state: list[np.ndarray], state: dict[str, Any]
) -> Path:
    """One `.npz` holds everything, so weights, optimizer slots and counters always belong together."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {f"model/{i}": np.asarray(w) for i, w in enumerate(weights)}
    arrays.update({f"optimizer/{i}": np.asarray(v) for i, v in enumerate(optimizer_state)})
    arrays["state"] = np.array(json.dumps(state))
    path = directory / CHECKPOINT_FILE
    tmp = directory / f".{CHECKPOINT_FILE}.tmp"
    with tmp.open("wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_checkpoint(path: Path) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, Any]]:
    with np.load(path) as data:
        model = [data[f"model/{i}"] for i in range(sum(k.startswith("model/") for k in data.files))]
        optim = [data[f"optimizer/{i}"] for i in range(sum(k.startswith("optimizer/") for k in data.files))]
        state = json.loads(str(data["state"]))
    return model, optim, state


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or belongs to another game or network."""


def read_checkpoint(path: Path) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, Any]]:
    """`load_checkpoint` with every way it can fail turned into one clear `CheckpointError`."""
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at '{path}'")
    try:
        return load_checkpoint(path)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, ValueError, EOFError, json errors...
        raise CheckpointError(f"checkpoint '{path}' is damaged ({type(exc).__name__})") from None


def all_finite(arrays: list[np.ndarray]) -> bool:
    return all(np.isfinite(a).all() for a in arrays if np.issubdtype(np.asarray(a).dtype, np.floating))
