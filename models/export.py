"""A trained actor-critic as a TensorFlow SavedModel, for serving without this project's code.

The SavedModel holds the traced `step` and the weights only: TF Serving, or any Python with TensorFlow,
loads it with `tf.saved_model.load` and no `models` package. Written by Keras 3's `ExportArchive`, into a
temporary sibling directory renamed into place, so an export is either whole or absent.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from envs.normalize import CLIP as NORMALIZE_CLIP
from envs.normalize import EPSILON as NORMALIZE_EPSILON
from envs.normalize import Normalizer
from models.base import ActorCritic

# The recurrent network's state, (h, c) as `CNNLSTMActorCritic.step` carries it: inputs and outputs by these names.
STATE_NAMES = ("state_h", "state_c")


class ExportError(ValueError):
    """An export directory that cannot be written."""


def export_saved_model(
    model: ActorCritic, obs_shape: tuple[int, ...], out_dir: str | Path, normalizer: Normalizer | None = None
) -> Path:
    """Write `model` (built, with its trained weights) as a SavedModel directory `out_dir`; returns its path.

    `normalizer`: the run's frozen observation statistics; the SavedModel then takes raw observations and
    normalizes them itself, as training did.

    `tf.saved_model.load(out_dir).signatures["serving_default"]` (also named `serve`) takes keyword inputs:

        observations  [B, *obs_shape]  uint8 for image observations (rank > 1), float32 for vectors
        state_h       [B, 256] float32  (recurrent network only: the LSTM state, zeros at an episode start)
        state_c       [B, 256] float32  (recurrent network only)

    and returns a dict of:

        policy_params  [B, P] float32   the action distribution's parameters (Categorical: logits; DiagGaussian:
                                        means then log-stds)
        greedy_action  [B, ...]         the distribution's mode as the environment takes it (Categorical: int32
                                        argmax of the logits; DiagGaussian: the means, clipped or squashed into
                                        the action bounds)
        value          [B] float32      the critic's estimate
        state_h, state_c                (recurrent network only) the next state, to feed to the next call

    `out_dir` may be absent or an empty directory; its parent must exist. Raises `ExportError` otherwise.
    """
    out_dir = Path(out_dir)
    if not out_dir.parent.is_dir():
        raise ExportError(f"cannot export to '{out_dir}': its parent directory does not exist")
    if out_dir.exists() and not (out_dir.is_dir() and not any(out_dir.iterdir())):
        raise ExportError(f"cannot export to '{out_dir}': it already exists and is not empty")
    state_specs = model.state_specs()
    if len(state_specs) not in (0, len(STATE_NAMES)):
        raise ExportError(f"cannot export {type(model).__name__}: its state has {len(state_specs)} parts, not (h, c)")

    obs_dtype = tf.uint8 if len(obs_shape) > 1 else tf.float32
    input_signature = [
        tf.TensorSpec([None, *obs_shape], obs_dtype, name="observations"),
        *(tf.TensorSpec(s.shape, s.dtype, name=n) for s, n in zip(state_specs, STATE_NAMES)),
    ]

    obs_rms = normalizer.obs_rms if normalizer is not None else None

    def serve(observations, *state):
        # Signature inputs are named by the TensorSpecs (unnamed varargs would be `state_0`, `state_1`); outputs
        # must be a flat dict of tensors, hence the state spread into named entries.
        if obs_rms is not None:  # envs.normalize.Normalizer.observations, with its statistics as constants
            scale = tf.constant(1.0 / np.sqrt(obs_rms.var + NORMALIZE_EPSILON), tf.float32)
            centred = observations - tf.constant(obs_rms.mean, tf.float32)
            observations = tf.clip_by_value(centred * scale, -NORMALIZE_CLIP, NORMALIZE_CLIP)
        params, values, next_state = model.step(observations, state)
        greedy = model.distribution.to_env(model.distribution.mode(params))  # as the environment takes it
        outputs = {"policy_params": params, "greedy_action": greedy, "value": values}
        outputs.update(zip(STATE_NAMES, next_state))
        return outputs

    archive = keras.export.ExportArchive()
    archive.track(model)
    # The first endpoint also becomes `serving_default` in `write_out`.
    archive.add_endpoint("serve", serve, input_signature)

    # `tf.saved_model.save` writes into a non-empty directory without a word, so the checks above are ours, and
    # the rename onto `out_dir` (absent or empty) fails rather than mixes if someone wrote there meanwhile.
    tmp = out_dir.parent / f".{out_dir.name}.export-{secrets.token_hex(4)}"
    try:
        tmp.mkdir()
    except OSError as exc:
        raise ExportError(f"cannot export to '{out_dir}': {exc.strerror or exc}") from exc
    try:
        archive.write_out(str(tmp), verbose=False)
        os.replace(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportError(f"cannot export to '{out_dir}': {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
