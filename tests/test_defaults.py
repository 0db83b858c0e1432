"""One source for every default, and the command line's checks that need no TensorFlow.

run.py's help text, the config it builds, --eval and the README's flag table all read the defaults from
`master_agent.config` (per kind of game, run-level) and `worker.Hyperparams` (algorithm); nothing repeats them.
The config `train` builds is caught in-process by stand-ins for the modules that would load TensorFlow.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types

import pytest

from conftest import REPO_ROOT, RUN_PY, cli_env
from master_agent import quiet_start
from master_agent.config import (
    ATARI_DEFAULTS,
    CLASSIC_DEFAULTS,
    CLASSIC_TF_DEFAULTS,
    EVAL_EPISODES,
    GRAPH_MAX_T_MAX,
    KINDS,
    MAX_SEED,
    RunConfig,
    default_workers,
    describe_per_kind,
    field_default,
    show,
)
from worker import Hyperparams

PER_KIND = ("learning_rate", "t_max", "envs_per_worker", "max_steps", "clip_rewards")


def test_per_kind_values_are_defined_only_per_kind():
    """A per-kind value with a second default elsewhere is how `envs_per_worker=16` went unused and unnoticed."""
    for name in ("t_max", "envs_per_worker"):
        with pytest.raises(KeyError):
            field_default(Hyperparams, name)
    for name in ("learning_rate", "max_steps", "hyperparams"):
        with pytest.raises(KeyError):
            field_default(RunConfig, name)


def test_show_writes_defaults_as_the_help_does():
    assert [show(v) for v in (1e-3, 7e-4, 2.5e-4, 0.99, 0.01, 40.0, 300.0, 10_000_000, None, 5, "runs")] == [
        "1e-3",
        "7e-4",
        "2.5e-4",
        "0.99",
        "0.01",
        "40",
        "300",
        "10M",
        "none",
        "5",
        "runs",
    ]
    assert describe_per_kind("learning_rate") == "1e-3 for classic games, 2.5e-4 for Atari"
    assert describe_per_kind("envs_per_worker") == (
        "64 for other classic games, 32 for CartPole in TensorFlow, 4 for Atari"
    )
    assert describe_per_kind("entropy_beta") == "0.01 for classic games, 0 for continuous control"
    assert describe_per_kind("max_grad_norm") == "40 for classic games, 0.5 for continuous control"
    assert describe_per_kind("normalize_obs") == "off for classic games, on for continuous control"


@pytest.fixture(scope="module")
def help_text() -> str:
    import run

    return " ".join(run.build_parser().format_help().split())  # argparse wraps lines: compare words


def test_help_text_is_built_from_the_defaults(help_text):
    for name in ("learning_rate", "t_max", "envs_per_worker", "max_steps", "entropy_beta", "max_grad_norm",
                 "normalize_obs"):  # fmt: skip
        assert describe_per_kind(name) in help_text, name
    for name in ("gamma", "value_coef", "log_std", "action_bounds"):
        assert f"(default: {show(field_default(Hyperparams, name))})" in help_text, name
    for name in ("seed", "runs_dir", "checkpoint_every", "backend"):
        assert f"(default: {show(field_default(RunConfig, name))})" in help_text, name
    assert f"the CPU cores, {default_workers()} here" in help_text
    assert f"episodes to play (default: {EVAL_EPISODES})" in help_text
    assert f"0 to {MAX_SEED}" in help_text


def readme_flag_rows() -> dict[str, str]:
    """`--flag` -> its default cell, from the README's Training flag table."""
    rows = {}
    for line in (REPO_ROOT / "README.md").read_text().splitlines():
        m = re.match(r"^\| `(--[a-z-]+)[^`]*` \| ([^|]*) \|", line)
        if m:
            rows.setdefault(m.group(1), m.group(2).strip())
    return rows


def test_readme_flag_table_shows_the_same_defaults():
    rows = readme_flag_rows()
    assert rows["--layer-norm"] == ("on" if ATARI_DEFAULTS.layer_norm else "off")
    assert rows["--terminal-on-life-loss"] == ("on for Atari" if ATARI_DEFAULTS.terminal_on_life_loss else "off")
    for flag, name in (("--lr", "learning_rate"), ("--t-max", "t_max"), ("--envs-per-worker", "envs_per_worker")):
        values = {show(getattr(d, name)) for d in (CLASSIC_DEFAULTS, CLASSIC_TF_DEFAULTS, ATARI_DEFAULTS)}
        assert all(re.search(rf"(^|\s){re.escape(v)}(\s|,|$)", rows[flag]) for v in values), (flag, rows[flag])
    assert show(ATARI_DEFAULTS.max_steps) in rows["--max-steps"]
    for flag, name in (("--gamma", "gamma"), ("--value-coef", "value_coef")):
        assert rows[flag] == show(field_default(Hyperparams, name)), flag
    for flag, name in (("--entropy-beta", "entropy_beta"), ("--max-grad-norm", "max_grad_norm")):
        values = set(re.findall(r"(?<![\w-])[\d.e-]+(?=[ ,]|$)", rows[flag].split(" (see")[0].split(";")[0]))
        assert {show(getattr(d, name)) for d in KINDS.values()} == values, (flag, rows[flag])
    for flag, name in (("--log-std", "log_std"), ("--action-bounds", "action_bounds")):
        assert rows[flag] == f"`{field_default(Hyperparams, name)}`", flag
    for flag, name in (("--seed", "seed"), ("--checkpoint-every", "checkpoint_every")):
        assert rows[flag] == show(field_default(RunConfig, name)), flag
    assert rows["--runs-dir"] == f"`{field_default(RunConfig, 'runs_dir')}`"
    assert rows["--backend"] == f"`{field_default(RunConfig, 'backend')}`"
    readme = (REPO_ROOT / "README.md").read_text().splitlines()
    t_max_row = next(line for line in readme if line.startswith("| `--t-max`"))
    assert f"at most {GRAPH_MAX_T_MAX} with `--env-impl tf`" in t_max_row


# --- the config train() builds, caught before anything loads TensorFlow ---------------------------------------------


@pytest.fixture
def built_config(monkeypatch, tmp_path):
    """`train(args)` with the master (and the modules that import TensorFlow) replaced by a stand-in that keeps
    the config it is given."""
    import run

    seen = {}

    class FakeMaster:
        def __init__(self, config, game, resume=None):
            seen["config"] = config

        def train(self, observe=None):
            return types.SimpleNamespace(exit_code=0)

    class NeverRaised(Exception):
        pass

    for name, attrs in (
        ("master_agent.master", {"MasterAgent": FakeMaster}),
        ("master_agent.backends", {"BackendError": NeverRaised}),
        ("models", {"ModelError": NeverRaised}),
    ):
        monkeypatch.setitem(sys.modules, name, types.SimpleNamespace(**attrs))
    monkeypatch.chdir(tmp_path)

    def build(*argv: str) -> RunConfig:
        args = run.build_parser().parse_args(list(argv))
        assert run.train(args) == 0
        return seen.pop("config")

    return build


def test_cartpole_defaults_are_what_they_were(built_config):
    """Behaviour unchanged by moving the defaults: the values a plain CartPole run always used."""
    config = built_config("--game", "CartPole-v1")
    hp = config.hyperparams
    assert (config.learning_rate, hp.t_max, hp.envs_per_worker, hp.clip_rewards, config.max_steps) == (
        1e-3,
        5,
        32,
        False,
        None,
    )
    assert (hp.gamma, hp.entropy_beta, hp.value_coef, hp.max_grad_norm) == (0.99, 0.01, 0.5, 40.0)
    assert (config.seed, config.runs_dir, config.checkpoint_every, config.backend, config.env_impl) == (
        0,
        "runs",
        300.0,
        "thread",
        "tf",
    )
    assert config.workers == default_workers()
    assert config.target_reward == 475.0 and config.target_window == 100
    assert built_config("--game", "CartPole-v1", "--env-impl", "gymnasium").hyperparams.envs_per_worker == 64


def test_atari_defaults_come_from_the_atari_kind(built_config):
    pytest.importorskip("ale_py")
    config = built_config("--game", "Pong")
    hp = config.hyperparams
    assert (config.learning_rate, hp.t_max, hp.envs_per_worker, hp.clip_rewards, config.max_steps) == (
        ATARI_DEFAULTS.learning_rate,
        ATARI_DEFAULTS.t_max,
        ATARI_DEFAULTS.envs_per_worker,
        True,
        10_000_000,
    )
    # Pong's preset pins the kind's network (LayerNorm on), and it gets one worker more than the cores.
    assert (config.learning_rate, hp.layer_norm, config.workers) == (2.5e-4, True, (os.cpu_count() or 1) + 1)
    assert built_config("--game", "Pong", "--no-layer-norm", "--workers", "2").hyperparams.layer_norm is False
    # A lost life ends the bootstrapped return on Atari unless told not to; classic games have no lives.
    assert hp.terminal_on_life_loss is True
    assert built_config("--game", "Breakout", "--no-terminal-on-life-loss").hyperparams.terminal_on_life_loss is False
    assert built_config("--game", "Acrobot-v1").hyperparams.terminal_on_life_loss is False
    assert built_config("--game", "Pong", "--workers", "2").workers == 2


def test_flags_override_the_defaults(built_config):
    config = built_config(
        "--game",
        "CartPole-v1",
        "--lr",
        "0.002",
        "--gamma",
        "0.9",
        "--t-max",
        "7",
        "--envs-per-worker",
        "3",
        "--seed",
        str(MAX_SEED),
        "--workers",
        "1",
        "--runs-dir",
        "elsewhere",
        "--checkpoint-every",
        "5",
        "--entropy-beta",
        "0",
    )
    hp = config.hyperparams
    assert (config.learning_rate, hp.gamma, hp.t_max, hp.envs_per_worker, hp.entropy_beta) == (0.002, 0.9, 7, 3, 0.0)
    assert (config.seed, config.workers, config.runs_dir, config.checkpoint_every) == (MAX_SEED, 1, "elsewhere", 5.0)


# --- rollout size -----------------------------------------------------------------------------------------------------


def test_step_bytes_counts_the_preprocessed_observation():
    from envs import resolve_game
    from master_agent import launch

    assert launch.step_bytes(resolve_game("CartPole-v1"), cnn_lstm=False) == 4 * 4 + 4 + launch.STEP_SCALAR_BYTES
    pytest.importorskip("ale_py")
    pong = resolve_game("Pong")
    assert (
        launch.step_bytes(pong, cnn_lstm=False) == 4 * 84 * 84 + 4 + launch.STEP_SCALAR_BYTES
    )  # 4 stacked uint8 frames
    assert launch.step_bytes(pong, cnn_lstm=True) == 84 * 84 + 4 + launch.STEP_SCALAR_BYTES


def test_physical_memory_is_known_here():
    from master_agent import launch

    assert launch.physical_memory() > 2**28


# --- TensorFlow's start-up notices -----------------------------------------------------------------------------------

TF_CHATTER = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795288466.985858    3732 port.cc:153] oneDNN custom operations are on. You may see slightly\n"
    "I0000 00:00:1795288468.670681    3732 cpu_feature_guard.cc:227] This TensorFlow binary is optimized.\n"
    "To enable the following instructions: AVX2 AVX512F, in other operations, rebuild TensorFlow.\n"
)
TF_ERROR = "E0000 00:00:1795288466.985858    3732 cuda_dnn.cc:8] Unable to register cuDNN factory\n"


def test_muted_tf_log_drops_records_below_the_level_and_keeps_the_rest():

    text = "before\n" + TF_CHATTER + TF_ERROR
    assert quiet_start.muted_tf_log(text, 2) == "before\n" + TF_ERROR
    assert quiet_start.muted_tf_log(text, 3) == "before\n"
    assert quiet_start.muted_tf_log(text, 0) == text


def test_errors_while_tensorflow_imports_still_reach_the_user(tmp_path):
    """A TensorFlow whose import fails: its notices are muted, but the Python warning, TF's error record and the
    traceback are shown, and the exit status is not 0."""
    fake = tmp_path / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "import os, warnings\n"
        f"os.write(2, {(TF_CHATTER + TF_ERROR).encode()!r})\n"
        "warnings.warn('a Python warning while importing')\n"
        "raise ImportError('libtensorflow_framework.so.2: cannot open shared object file')\n"
    )
    env = cli_env()
    env["PYTHONPATH"] = str(tmp_path / "fake")
    argv = [
        sys.executable,
        str(RUN_PY),
        "--game",
        "CartPole-v1",
        "--max-steps",
        "10",
        "--runs-dir",
        str(tmp_path / "runs"),
    ]
    result = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "ImportError: libtensorflow_framework.so.2" in result.stderr
    assert "UserWarning: a Python warning while importing" in result.stderr
    assert TF_ERROR in result.stderr
    for line in TF_CHATTER.splitlines():
        assert line not in result.stderr
    assert not (tmp_path / "runs").exists()  # nothing written
