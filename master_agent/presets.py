"""Settings files, the one YAML format: the per-game presets in `presets/`, a user's `--config FILE.yaml`, and
the preset a search writes (`run.py --tune`).

A file is a mapping of settings named as the flags are (`lr` for `--lr`, `t_max` for `--t-max`), checked by the
same rules (`master_agent.settings`); a `--config` file may also name its `game`. Comments carry the measurement
behind a preset:

    # Pendulum-v1: gamma 0.9 reached -200 ...   (python run.py --game Pendulum-v1 ...)
    gamma: 0.9
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from master_agent.settings import RULES, BadValue, SettingsError

PRESETS_DIR = Path(__file__).resolve().parent.parent / "presets"
GAME_KEY = "game"  # a --config file may say which game it trains


def preset_path(game_id: str) -> Path:
    """Where the preset of `game_id` lives (`ALE/Pong-v5` -> presets/ALE-Pong-v5.yaml), whether or not it exists."""
    return PRESETS_DIR / f"{game_id.replace('/', '-').replace(':', '-')}.yaml"


def find_preset(game_id: str) -> Path | None:
    path = preset_path(game_id)
    return path if path.is_file() else None


def read_settings_file(path: str | Path, allow_game: bool = True) -> dict[str, Any]:
    """The settings in a YAML file, each checked; SettingsError names the file, the key and what is allowed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"settings file '{path}': cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise SettingsError(f"settings file '{path}' is not text (YAML expected)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SettingsError(f"settings file '{path}' is not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(
            f"settings file '{path}' must be a mapping of settings (lr: 0.001), got {type(data).__name__}"
        )
    settings: dict[str, Any] = {}
    known = ([GAME_KEY] if allow_game else []) + list(RULES)
    for key, value in data.items():
        if key == GAME_KEY and allow_game:
            if not isinstance(value, str) or not value:
                raise SettingsError(f"settings file '{path}': game: expected a game id, got {value!r}")
            settings[key] = value
            continue
        if key not in RULES:
            hint = f"; did you mean '{key.replace('-', '_')}'?" if str(key).replace("-", "_") in RULES else ""
            raise SettingsError(f"settings file '{path}': unknown setting '{key}'{hint} (known: {', '.join(known)})")
        try:
            settings[key] = RULES[key].check(value)
        except BadValue as exc:
            raise SettingsError(f"settings file '{path}': {key}: {exc}") from None
    return settings


def write_preset(path: str | Path, settings: dict[str, Any], comment: list[str]) -> Path:
    """Write `settings` as a preset file with `comment` lines above them, atomically (nothing half-written is
    ever read back); every value is checked first, so the file reads back as written."""
    path = Path(path)
    for key, value in settings.items():
        if key != GAME_KEY:
            RULES[key].check(value)
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment)
    body = yaml.safe_dump(settings, sort_keys=False, default_flow_style=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(header + body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
