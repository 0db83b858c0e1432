"""`rundir`: the atomic write every file goes through, and reading a run's config, checkpoint and episodes."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import EPISODES_HEADER, REPO_ROOT
from rundir import (
    AtomicWrite,
    CheckpointError,
    ConfigError,
    EpisodeLog,
    read_checkpoint,
    read_config,
    read_episodes,
    save_checkpoint,
    write_config,
)


class Crash(Exception):
    pass


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "data.json"
    path.write_text("old")
    with AtomicWrite(path) as tmp:
        assert tmp.parent == path.parent and tmp.suffix == ".json"  # same filesystem; writers that go by suffix
        tmp.write_text("new")
        assert path.read_text() == "old"  # nobody sees the new file before it is complete
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_a_failure_inside_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(b"the last good one")
    with pytest.raises(Crash), AtomicWrite(path) as tmp:
        tmp.write_bytes(b"half of a new o")
        raise Crash
    assert path.read_bytes() == b"the last good one"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


def test_a_failure_before_anything_is_written_creates_nothing(tmp_path):
    with pytest.raises(Crash), AtomicWrite(tmp_path / "rewards.png"):
        raise Crash
    assert list(tmp_path.iterdir()) == []


def test_a_write_that_spans_calls_commits_or_discards_explicitly(tmp_path):
    kept, dropped = AtomicWrite(tmp_path / "a.mp4"), AtomicWrite(tmp_path / "b.mp4")
    kept.tmp.write_bytes(b"frames")
    dropped.tmp.write_bytes(b"frames")
    assert kept.commit() == tmp_path / "a.mp4"
    dropped.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]


def test_config_round_trip(tmp_path):
    record = {"config": {"game": "CartPole-v1", "target_reward": 475.0}, "observation_shape": [4]}
    write_config(tmp_path, record)
    assert read_config(tmp_path) == record
    assert (tmp_path / "config.json").read_text().endswith("}\n")


@pytest.mark.parametrize(
    "content, phrase",
    [
        (None, "is not a run directory (no config.json)"),
        ("{not json", "cannot read"),
        (b"\xff\xfe\xff garbage", "cannot read"),
        ('{"name": "something else"}', "is not a run's config"),
        ('["a", "list"]', "is not a run's config"),
        ('{"config": {"game": 3}}', "is not a run's config"),
    ],
    ids=["missing", "not-json", "not-text", "foreign", "not-an-object", "game-not-a-name"],
)
def test_config_read_errors(tmp_path, content, phrase):
    if isinstance(content, str):
        (tmp_path / "config.json").write_text(content)
    elif content is not None:
        (tmp_path / "config.json").write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(phrase)) as caught:
        read_config(tmp_path)
    assert len(str(caught.value).splitlines()) == 1


def test_config_of_a_missing_run_directory(tmp_path):
    with pytest.raises(ConfigError, match="no run directory at"):
        read_config(tmp_path / "missing")


def test_checkpoint_round_trip(tmp_path):
    weights = [np.arange(6, dtype=np.float32).reshape(2, 3), np.ones(3, np.float32)]
    optimizer_state = [np.array(7, np.int64), np.zeros((2, 3), np.float32)]
    state = {"global_step": 1234, "game": "CartPole-v1", "rng": [None, [1, 2]]}
    path = save_checkpoint(tmp_path, weights, optimizer_state, state)
    assert path == tmp_path / "checkpoint" / "checkpoint.npz"
    assert [p.name for p in path.parent.iterdir()] == ["checkpoint.npz"]  # no temporary left
    loaded_weights, loaded_optimizer, loaded_state = read_checkpoint(tmp_path)
    for got, want in zip(loaded_weights + loaded_optimizer, weights + optimizer_state, strict=True):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
    assert loaded_state == state


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04 not really a zip"])
def test_a_damaged_checkpoint_is_one_clear_error(tmp_path, content):
    (tmp_path / "checkpoint").mkdir()
    (tmp_path / "checkpoint" / "checkpoint.npz").write_bytes(content)
    with pytest.raises(CheckpointError, match=r"checkpoint '.*checkpoint.npz' is damaged \(\w+\)") as caught:
        read_checkpoint(tmp_path)
    assert len(str(caught.value).splitlines()) == 1
    # What each command words its own way from: which fault, and why (--eval prints the reason).
    assert caught.value.problem == "damaged" and caught.value.detail


def test_a_checkpoint_without_weights_or_state_is_damaged(tmp_path):
    save_checkpoint(tmp_path, [], [], {"global_step": 1})
    with pytest.raises(CheckpointError, match="holds no model weights"):
        read_checkpoint(tmp_path)
    with (tmp_path / "checkpoint" / "checkpoint.npz").open("wb") as f:
        np.savez(f, **{"model/0": np.ones(2)})  # no state
    with pytest.raises(CheckpointError, match="damaged"):
        read_checkpoint(tmp_path)


def test_a_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        read_checkpoint(tmp_path)


def write_rows(path, n):
    log = EpisodeLog(path)
    for i in range(1, n + 1):
        log.write(i, 0, float(i), i, 10 * i, i / 10)
    log.close()


def test_read_episodes_leaves_out_a_torn_last_line(tmp_path):
    path = tmp_path / "episodes.csv"
    write_rows(path, 2)
    with path.open("a") as f:
        f.write("3,0,3,3,3")  # a crash mid-write
    np.testing.assert_array_equal(read_episodes(tmp_path)["episode"], [1, 2])


def test_appending_cuts_a_torn_last_line_first(tmp_path):
    path = tmp_path / "episodes.csv"
    write_rows(path, 2)
    with path.open("a") as f:
        f.write("3,0,3,3,3")
    log = EpisodeLog(path, append=True)
    log.write(3, 1, 30.0, 3, 30, 0.3)
    log.close()
    assert path.read_text().splitlines() == [
        EPISODES_HEADER,
        "1,0,1,1,10,0.100",
        "2,0,2,2,20,0.200",
        "3,1,30,3,30,0.300",
    ]
    np.testing.assert_array_equal(read_episodes(tmp_path)["episode"], [1, 2, 3])


def test_appending_to_a_log_whose_header_was_torn_starts_it_again(tmp_path):
    path = tmp_path / "episodes.csv"
    path.write_text("episode,wor")
    log = EpisodeLog(path, append=True)
    log.write(1, 0, 5.0, 5, 5, 0.5)
    log.close()
    assert path.read_text().splitlines() == [EPISODES_HEADER, "1,0,5,5,5,0.500"]


def test_appending_to_a_complete_log_keeps_every_byte(tmp_path):
    path = tmp_path / "episodes.csv"
    write_rows(path, 2)
    before = path.read_bytes()
    EpisodeLog(path, append=True).close()
    assert path.read_bytes() == before


def test_rundir_loads_no_tensorflow():
    # The CLI answers a bad run directory before TensorFlow loads: importing rundir must not load it.
    code = "import sys, rundir, plots, evaluate; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
