"""The one Adam optimizer all workers push through, guarded by a lock."""

from __future__ import annotations

import threading
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf


class SharedOptimizer:
    """Applies gradients to the global model's variables, one update at a time.

    The optimizer and all its slot variables are built here, before any worker starts, and the apply
    step is a `tf.function` traced here too: no worker thread ever creates a variable or a graph.
    """

    def __init__(self, global_model: keras.Model, learning_rate: float) -> None:
        # Re-entrant: a worker holds it around `apply` and its pull of the weights that apply produced.
        self.lock = threading.RLock()
        self.variables = list(global_model.trainable_variables)
        self.optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
        self.optimizer.build(self.variables)
        self._sizes = [int(np.prod(v.shape)) for v in self.variables]
        self.num_params = sum(self._sizes)
        spec = tf.TensorSpec([self.num_params], tf.float32)
        # XLA fuses Adam's many small per-variable ops: less time inside the lock every worker waits on.
        self._apply = tf.function(self._apply_graph, input_signature=[spec], jit_compile=True).get_concrete_function()
        self._flat_weights = tf.function(self._flat_weights_graph, input_signature=[]).get_concrete_function()
        self.updates = 0
        self.lr_schedule: Callable[[], float] | None = None  # the rate for the next apply (None: constant)

    def _apply_graph(self, flat_grads):
        parts = tf.split(flat_grads, self._sizes)
        grads = [tf.reshape(g, v.shape) for g, v in zip(parts, self.variables)]
        self.optimizer.apply(grads, self.variables)

    def _flat_weights_graph(self):
        return tf.concat([tf.reshape(v, [-1]) for v in self.variables], axis=0)

    def flat_weights(self) -> np.ndarray:
        """The global weights as one vector, what a worker in another process loads; read it under `lock`
        for weights that are exactly one update's."""
        return self._flat_weights().numpy()

    def apply(self, flat_grads: tf.Tensor | np.ndarray) -> None:
        """Apply one flat gradient vector (variables in model order) to the global model, under the lock."""
        with self.lock:
            if self.lr_schedule is not None:
                self.optimizer.learning_rate = self.lr_schedule()
            self._apply(flat_grads)
            self.updates += 1

    @property
    def iterations(self) -> int:
        return int(self.optimizer.iterations.numpy())


class StepCounter:
    """Global environment-step counter shared by the workers; no increment is lost."""

    def __init__(self, start: int = 0) -> None:
        self._lock = threading.Lock()
        self._value = start

    def add(self, steps: int) -> int:
        with self._lock:
            self._value += steps
            return self._value

    @property
    def value(self) -> int:
        return self._value
