"""Presets and settings files: what they accept, the order of precedence, and what a run records of them."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, run_dirs
from master_agent.launch import make_config
from master_agent.presets import PRESETS_DIR, find_preset, read_settings_file, write_preset
from master_agent.settings import RULES, SettingsError


def write(tmp_path, text: str, name: str = "settings.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_values_are_read_as_the_flags_read_them(tmp_path):
    path = write(
        tmp_path,
        "lr: 7e-4\n"  # YAML 1.1 reads this as text: still a number here
        "max_grad_norm: 1\n"  # an int where a float goes
        "t_max: 8\nnormalize_obs: true\nlr_schedule: linear\nenv_kwargs: {g: 9.81}\n",
    )
    settings = read_settings_file(path)
    assert settings == {
        "lr": 7e-4,
        "max_grad_norm": 1.0,
        "t_max": 8,
        "normalize_obs": True,
        "lr_schedule": "linear",
        "env_kwargs": {"g": 9.81},
    }
    assert isinstance(settings["max_grad_norm"], float)


@pytest.mark.parametrize(
    "text, message",
    [
        ("t_max: true\n", "t_max: expected an integer, got True"),  # a bool is not a count
        ("t_max: 2.5\n", "t_max: expected an integer, got 2.5"),
        ("lr: -0.1\n", "lr: must be a positive finite number, got -0.1"),
        ("lr: .inf\n", "lr: must be a positive finite number, got inf"),
        ("normalize_obs: 1\n", "normalize_obs: expected true or false, got 1"),
        ("log_std: learned\n", "log_std: must be one of state-independent, state-dependent, got 'learned'"),
        ("seed: 4294967296\n", "seed: must be between 0 and 4294967295"),
        ("game: CartPole-v1\n", "unknown setting 'game'"),  # a preset is for its game; only --config names one
    ],
)
def test_a_bad_value_names_the_file_the_key_and_what_is_allowed(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        read_settings_file(path, allow_game=False)
    assert str(caught.value).startswith(f"settings file '{path}': ")
    assert message in str(caught.value)


def test_every_shipped_preset_is_valid_and_says_what_was_measured():
    presets = sorted(PRESETS_DIR.glob("*.yaml"))
    assert presets, "no presets shipped"
    for path in presets:
        settings = read_settings_file(path, allow_game=False)
        assert settings, f"{path.name} sets nothing"
        comment = [line for line in path.read_text().splitlines() if line.startswith("#")]
        assert any("python " in line for line in comment), f"{path.name}: no command behind its figures"
        assert any(ch.isdigit() for line in comment for ch in line), f"{path.name}: no measured figure"


def test_preset_then_file_then_flags_each_overrides_the_one_before(tmp_path):
    assert find_preset("Pendulum-v1") is not None
    preset_gamma = read_settings_file(find_preset("Pendulum-v1"))["gamma"]

    config, _ = make_config("Pendulum-v1")
    assert config.hyperparams.gamma == preset_gamma
    assert config.settings_from["gamma"] == "preset presets/Pendulum-v1.yaml"

    file = write(tmp_path, "gamma: 0.95\nt_max: 8\n")
    config, _ = make_config("Pendulum-v1", config_file=file)
    assert (config.hyperparams.gamma, config.hyperparams.t_max) == (0.95, 8)
    assert config.settings_from["gamma"] == config.settings_from["t_max"] == f"file {file}"

    config, _ = make_config("Pendulum-v1", config_file=file, gamma=0.8)
    assert (config.hyperparams.gamma, config.hyperparams.t_max) == (0.8, 8)
    assert config.settings_from["gamma"] == "flag"

    config, _ = make_config("Pendulum-v1", preset=False)
    assert config.hyperparams.gamma == 0.99  # the kind-independent default
    assert config.settings_from == {}


def test_a_config_file_may_name_its_game_and_the_flag_wins(tmp_path):
    file = write(tmp_path, "game: Acrobot-v1\nlr: 0.002\n")
    config, _ = make_config(None, config_file=file)
    assert (config.game, config.learning_rate) == ("Acrobot-v1", 0.002)
    config, _ = make_config("CartPole-v1", config_file=file)
    assert (config.game, config.learning_rate) == ("CartPole-v1", 0.002)


def test_the_python_api_checks_values_by_the_same_rules():
    with pytest.raises(SettingsError, match="argument --t-max: expected an integer, got '5'"):
        make_config("CartPole-v1", t_max="5")
    with pytest.raises(SettingsError, match=r"argument --gamma: must be in \(0, 1\], got 0"):
        make_config("CartPole-v1", gamma=0)


def test_write_preset_reads_back_as_written_with_its_comment(tmp_path):
    settings = {"game": "Acrobot-v1", "lr": 0.00123, "gamma": 0.98, "t_max": 16, "normalize_obs": True}
    path = write_preset(tmp_path / "best.yaml", settings, ["Best of 12 trials.", "", "python run.py --tune ..."])
    assert read_settings_file(path) == settings
    text = path.read_text()
    assert text.startswith("# Best of 12 trials.\n#\n# python run.py --tune ...\n")
    assert [p.name for p in tmp_path.iterdir()] == ["best.yaml"]  # no temporary file left
    with pytest.raises(ValueError):
        write_preset(tmp_path / "bad.yaml", {"t_max": 0}, [])
    assert not (tmp_path / "bad.yaml").exists()


def test_rules_cover_every_setting_make_config_takes():
    from master_agent.launch import SETTINGS

    assert set(SETTINGS) == set(RULES)


def test_a_run_from_a_config_file_records_where_each_setting_came_from(tmp_path):
    file = write(tmp_path, "game: CartPole-v1\nlr: 0.002\nentropy_beta: 0.02\n", "mine.yaml")
    runs = tmp_path / "runs"
    result = run_cli(["--config", file, "--max-steps", "2000", "--workers", "1", "--runs-dir", runs], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(runs)
    config = json.loads((run_dir / "config.json").read_text())["config"]
    assert config["learning_rate"] == 0.002
    assert config["hyperparams"]["entropy_beta"] == 0.02
    assert config["hyperparams"]["t_max"] == 5  # from CartPole's preset
    assert config["settings_from"] == {
        "lr": f"file {file}",
        "entropy_beta": f"file {file}",
        "t_max": "preset presets/CartPole-v1.yaml",
        "max_steps": "flag",
        "workers": "flag",
        "runs_dir": "flag",
    }
    banner = f"file {file} (lr, entropy_beta); preset presets/CartPole-v1.yaml (t_max); flags (workers, max_steps, "
    assert banner + "runs_dir); defaults for the rest" in result.stdout
