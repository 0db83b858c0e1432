"""Benchmarks run in separate sittings are one table only when they measured the same trainer on distinct seeds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from _common import trainer_fingerprint  # noqa: E402

PRESETS_CHECK = REPO_ROOT / "bench" / "presets_check.py"


def write_tree(root: Path, worker: str, preset: str) -> Path:
    (root / "worker").mkdir(parents=True, exist_ok=True)
    (root / "presets").mkdir(exist_ok=True)
    (root / "run.py").write_text("import worker\n")
    (root / "worker" / "core.py").write_text(worker)
    (root / "presets" / "Game-v0.yaml").write_text(preset)
    return root


def test_the_fingerprint_follows_code_and_settings_not_comments_or_docstrings(tmp_path):
    base = trainer_fingerprint(write_tree(tmp_path / "a", "def f():\n    return 1\n", "lr: 1.0e-3\n"))
    reworded = write_tree(
        tmp_path / "b",
        '"""Module doc."""\n\n\ndef f():  # a comment\n    """Why."""\n    return 1\n',
        "# measured: 200 in 60 s\nlr: 0.001\n",
    )
    assert trainer_fingerprint(reworded) == base
    assert trainer_fingerprint(write_tree(tmp_path / "c", "def f():\n    return 2\n", "lr: 1.0e-3\n")) != base
    assert trainer_fingerprint(write_tree(tmp_path / "d", "def f():\n    return 1\n", "lr: 2.0e-3\n")) != base


def part(path: Path, seeds: list[int], means: list[float], trainer: str = "abc") -> str:
    runs = [
        {"seed": s, "reached": m >= 200, "mean": m, "rate": 1000.0, "seconds_to_target": 60.0 + s,
         "steps_to_target": 1000 * (s + 1)}
        for s, m in zip(seeds, means)
    ]  # fmt: skip
    game = {"target": 200.0, "budget": 600.0, "measured_by": "100 greedy episodes, best policy", "runs": runs}
    path.write_text(json.dumps({"settings": {"trainer": trainer, "machine": "cpu"}, "games": {"Game-v0": game}}))
    return str(path)


def merge(*files: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PRESETS_CHECK), "--merge", *files], capture_output=True, text=True)


def test_seeds_of_two_sittings_make_one_table_and_the_claim_is_judged_on_all_five(tmp_path):
    first = part(tmp_path / "a.json", [0, 1, 2], [210.0, 190.0, 230.0])
    second = part(tmp_path / "b.json", [4, 3], [220.0, 205.0])
    out = merge(first, second)
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if line.startswith("| Game-v0"))
    # 4 of 5 reached; seeds in seed order; median seconds to target over seeds 0, 2, 3, 4 and one never: 63.0
    assert "| 4/5 |" in row and "| 63.0 |" in row
    assert "210.0, 190.0 ✗, 230.0, 205.0, 220.0" in row
    assert "claim (each game reaches its target on >= 4 of 5 seeds): holds" in out.stdout


@pytest.mark.parametrize(
    "second, message",
    [
        (dict(seeds=[3, 4], means=[1.0, 2.0], trainer="other"), "measured different trainer code"),
        (dict(seeds=[2, 3], means=[1.0, 2.0]), "Game-v0 seed 2 is in both"),
    ],
)
def test_files_of_another_trainer_or_a_repeated_seed_are_refused(tmp_path, second, message):
    out = merge(part(tmp_path / "a.json", [0, 1, 2], [1.0, 2.0, 3.0]), part(tmp_path / "b.json", **second))
    assert out.returncode != 0
    assert out.stderr.strip().startswith("error:") and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


CONTROL_VS_SB3 = REPO_ROOT / "bench" / "control_vs_sb3.py"


def sitting(path: Path, seeds: list[int], sb3_stop_rule: str | None) -> str:
    """A control_vs_sb3 --json file: ours solves every seed at 60 + seed s, SB3 none."""

    def run(seed: int, solved: bool) -> dict:
        return {"seed": seed, "solved": solved, "reached": solved, "seconds_to_target": 60.0 + seed if solved else None,
                "steps_to_target": 1000 if solved else None, "wall": 70.0, "rate": 1000.0,
                "confirm_mean": 210.0 if solved else 150.0}  # fmt: skip

    runs = {"ours": [run(s, True) for s in seeds], "sb3": [run(s, False) for s in seeds]}
    settings = {"trainer": "abc", "confirm_episodes": 100}
    if sb3_stop_rule is not None:  # files made before the rule was recorded have none
        settings["sb3_stop_rule"] = sb3_stop_rule
    game = {"target": 200.0, "zoo_entry": "Game-v0", "runs": runs}
    path.write_text(json.dumps({"settings": settings, "games": {"Game-v0": game}}))
    return str(path)


def test_control_vs_sb3_pools_sittings_only_when_sb3_stopped_by_the_same_rule(tmp_path):
    def merge_sb3(*files: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, str(CONTROL_VS_SB3), "--merge", *files]
        return subprocess.run(cmd, capture_output=True, text=True)

    same = merge_sb3(sitting(tmp_path / "a.json", [0, 1], "confirmed"), sitting(tmp_path / "b.json", [2], "confirmed"))
    assert same.returncode == 0, same.stderr
    row = next(line for line in same.stdout.splitlines() if line.startswith("| Game-v0"))
    assert "| 3/3 | 0/3 |" in row and "| 61 | - |" in row  # ours' median of 60, 61, 62 s; SB3 never

    mixed = merge_sb3(sitting(tmp_path / "c.json", [0, 1], None), sitting(tmp_path / "d.json", [2], "confirmed"))
    assert mixed.returncode != 0
    assert mixed.stderr.strip().startswith("error: the files stopped SB3 by different rules")
    assert len(mixed.stderr.strip().splitlines()) == 1 and "Traceback" not in mixed.stderr
