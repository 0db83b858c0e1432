"""What goes into a checkpoint, taken from the live model; `rundir` writes and reads the file."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only the master, which has TensorFlow loaded already, takes snapshots
    import keras


def snapshot(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights and optimizer slots as NumPy copies; take it under the optimizer's lock for a consistent pair."""
    return model.get_weights(), [np.array(v) for v in optimizer.variables]


def all_finite(arrays: list[np.ndarray]) -> bool:
    """A diverged model is never saved over the last good checkpoint."""
    return all(np.isfinite(a).all() for a in arrays if np.issubdtype(np.asarray(a).dtype, np.floating))
