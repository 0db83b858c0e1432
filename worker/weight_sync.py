"""How a worker's local model gets the global weights, in-process or sent from another process."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


class WeightSync:
    """In the global model's process: in-graph assigns from the global variables (no NumPy round trip).
    In another process (a Ray actor): the global weights arrive as one flat vector, split in-graph.
    Each is one concrete function, traced here on the constructing thread; both return the new weights.
    """

    def __init__(self, local_variables: list[tf.Variable], global_variables: list | None) -> None:
        self.local_variables = local_variables
        self._sizes = [int(np.prod(v.shape)) for v in local_variables]
        self._pull = self._load_flat = None
        if global_variables is not None:
            if [v.shape for v in local_variables] != [v.shape for v in global_variables]:
                raise ValueError("local and global models differ in shape")
            self._pairs = list(zip(local_variables, global_variables))
            self._pull = tf.function(self._pull_graph, input_signature=[]).get_concrete_function()
        else:
            self._load_flat = tf.function(
                self._load_flat_graph, input_signature=[tf.TensorSpec([sum(self._sizes)], tf.float32)]
            ).get_concrete_function()

    def _pull_graph(self):
        for local, global_ in self._pairs:
            local.assign(global_)
        return [tf.convert_to_tensor(global_) for _, global_ in self._pairs]

    def _load_flat_graph(self, flat):
        for variable, part in zip(self.local_variables, tf.split(flat, self._sizes)):
            variable.assign(tf.reshape(part, variable.shape))
        return [tf.convert_to_tensor(v) for v in self.local_variables]

    def pull(self) -> list[tf.Tensor]:
        if self._pull is None:
            raise RuntimeError("this worker has no global model in its process; use load_flat")
        return self._pull()

    def load_flat(self, flat_weights: np.ndarray) -> list[tf.Tensor]:
        if self._load_flat is None:
            raise RuntimeError("this worker pulls from the global model in its process; use pull")
        return self._load_flat(tf.convert_to_tensor(flat_weights, tf.float32))
