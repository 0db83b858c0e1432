"""models.export: the SavedModel serves each network's `step` in a process that has TensorFlow but not this project."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from models import Categorical, build_model
from models.export import ExportError, export_saved_model

# network -> (observation shape, actions, batch)
CASES = {"mlp": ((4,), 2, 5), "cnn": ((4, 84, 84), 6, 3), "cnn_lstm": ((84, 84), 6, 2)}
LSTM_STEPS = 3  # the recurrent network is served over consecutive steps, its state carried by the caller
UNITS = 256

# Run with `python -I` from the export directory: neither the repository nor PYTHONPATH is on sys.path.
SERVER = r"""
import json, sys
import numpy as np
import tensorflow as tf

try:
    import models
except ModuleNotFoundError:
    pass
else:
    sys.exit(f"the project's models package is importable here: {models.__file__}")

inputs, outputs, signatures = np.load("inputs.npz"), {}, {}
for net in json.loads(open("networks.json").read()):
    serve = tf.saved_model.load(net).signatures["serving_default"]
    specs = serve.structured_input_signature[1]
    signatures[net] = {
        "inputs": {k: [s.shape.as_list(), s.dtype.name] for k, s in specs.items()},
        "outputs": {k: [s.shape.as_list(), s.dtype.name] for k, s in serve.structured_outputs.items()},
    }
    obs = inputs[net]
    state = {k: tf.zeros([obs.shape[1], s.shape[1]], s.dtype) for k, s in specs.items() if k != "observations"}
    for t in range(len(obs)):
        out = serve(observations=tf.constant(obs[t]), **state)
        outputs.update({f"{net}/{t}/{k}": v.numpy() for k, v in out.items()})
        state = {k: out[k] for k in state}
np.savez("outputs.npz", **outputs)
open("signatures.json", "w").write(json.dumps(signatures))
"""


def randomize(model, rng: np.random.Generator) -> None:
    """Weights far from the initial ones (the policy head starts near zero), scaled to keep units unsaturated."""
    model.set_weights(
        [
            rng.normal(0.0, 1.0 / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1 else 0.1, w.shape).astype(np.float32)
            for w in model.get_weights()
        ]
    )


def observations(obs_shape, steps: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    if len(obs_shape) > 1:
        return rng.integers(0, 256, (steps, batch, *obs_shape), dtype=np.uint8)
    return rng.normal(size=(steps, batch, *obs_shape)).astype(np.float32)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Every network exported, then served in one fresh process: (models, inputs, outputs, signatures)."""
    root = tmp_path_factory.mktemp("export")
    rng = np.random.default_rng(7)
    models, inputs = {}, {}
    for net, (obs_shape, n_actions, batch) in CASES.items():
        model = models[net] = build_model(net, obs_shape, Categorical(n_actions), name=net)
        randomize(model, rng)
        inputs[net] = observations(obs_shape, LSTM_STEPS if model.recurrent else 1, batch, rng)
        assert export_saved_model(model, obs_shape, root / net) == root / net
    assert sorted(p.name for p in root.iterdir()) == sorted(CASES)  # no temporary directory left beside them
    np.savez(root / "inputs.npz", **inputs)
    (root / "networks.json").write_text(json.dumps(list(CASES)))
    (root / "server.py").write_text(SERVER)
    result = subprocess.run([sys.executable, "-I", "server.py"], cwd=root, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    return models, inputs, dict(np.load(root / "outputs.npz")), json.loads((root / "signatures.json").read_text())


@pytest.mark.parametrize("net", list(CASES))
def test_serving_signature(served, net):
    models, _, _, signatures = served
    obs_shape, n_actions, _ = CASES[net]
    obs_dtype = "uint8" if len(obs_shape) > 1 else "float32"
    inputs = {"observations": [[None, *obs_shape], obs_dtype]}
    outputs = {
        "policy_params": [[None, n_actions], "float32"],
        "greedy_action": [[None], "int32"],
        "value": [[None], "float32"],
    }
    if models[net].recurrent:
        inputs |= {name: [[None, UNITS], "float32"] for name in ("state_h", "state_c")}
        outputs |= {name: [[None, UNITS], "float32"] for name in ("state_h", "state_c")}
    assert signatures[net] == {"inputs": inputs, "outputs": outputs}


@pytest.mark.parametrize("net", list(CASES))
def test_served_outputs_are_the_models_step(served, net):
    models, inputs, outputs, _ = served
    model, obs = models[net], inputs[net]
    state = tuple(tf.constant(s) for s in model.initial_state(obs.shape[1]))
    for t in range(len(obs)):
        params, values, state = model.step(tf.constant(obs[t]), state)
        params, values = params.numpy(), values.numpy()
        served_params = outputs[f"{net}/{t}/policy_params"]
        np.testing.assert_allclose(served_params, params, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(outputs[f"{net}/{t}/value"], values, rtol=1e-5, atol=1e-5)
        greedy = outputs[f"{net}/{t}/greedy_action"]
        assert greedy.dtype == model.distribution.action_dtype
        np.testing.assert_array_equal(greedy, model.distribution.mode_numpy(params))
        np.testing.assert_array_equal(greedy, model.distribution.mode_numpy(served_params))
        for name, part in zip(("state_h", "state_c"), state):
            np.testing.assert_allclose(outputs[f"{net}/{t}/{name}"], part.numpy(), rtol=1e-5, atol=1e-5)
        assert np.ptp(params, axis=-1).min() > 0.05  # random weights: logits far from uniform


def small_model():
    return build_model("mlp", (4,), Categorical(2))


def test_refuses_an_existing_non_empty_directory(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExportError) as exc:
        export_saved_model(small_model(), (4,), out)
    assert str(exc.value) == f"cannot export to '{out}': it already exists and is not empty"
    assert [p.relative_to(tmp_path).as_posix() for p in sorted(tmp_path.rglob("*"))] == ["model", "model/keep.txt"]
    assert (out / "keep.txt").read_text() == "mine"


def test_refuses_a_missing_parent(tmp_path):
    out = tmp_path / "absent" / "model"
    with pytest.raises(ExportError) as exc:
        export_saved_model(small_model(), (4,), out)
    assert str(exc.value) == f"cannot export to '{out}': its parent directory does not exist"
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def half_write(obj, export_dir, *args, **kwargs):
        (Path(export_dir) / "saved_model.pb").write_bytes(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", half_write)
    with pytest.raises(RuntimeError, match="disk full"):
        export_saved_model(small_model(), (4,), tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_empty_directory_is_filled(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    assert export_saved_model(small_model(), (4,), str(out)) == out
    assert (out / "saved_model.pb").is_file() and (out / "variables").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
