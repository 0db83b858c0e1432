"""`runs/latest`: the pointer to the newest run, as a symlink or (where symlinks fail) a text file."""

from __future__ import annotations

import os

import pytest

from rundir import LATEST, RunPointerError, resolve_run_dir, update_latest_link


def make_runs(tmp_path, *names):
    runs = tmp_path / "runs"
    runs.mkdir()
    for name in names:
        (runs / name).mkdir(parents=True)
    return runs


def test_latest_is_a_relative_symlink_replaced_by_the_next_run(tmp_path):
    runs = make_runs(tmp_path, "CartPole-v1-20260101-000000", "CartPole-v1-20260101-000100")
    link = update_latest_link(runs / "CartPole-v1-20260101-000000")
    assert link == runs / LATEST and link.is_symlink()
    assert os.readlink(link) == "CartPole-v1-20260101-000000"  # relative: the runs dir can be moved
    update_latest_link(runs / "CartPole-v1-20260101-000100")
    assert os.readlink(runs / LATEST) == "CartPole-v1-20260101-000100"
    assert resolve_run_dir(runs / LATEST) == (runs / "CartPole-v1-20260101-000100").resolve()
    assert sorted(p.name for p in runs.iterdir()) == [
        "CartPole-v1-20260101-000000",
        "CartPole-v1-20260101-000100",
        LATEST,
    ]  # no temporary left


def test_where_symlinks_fail_latest_is_a_text_file(tmp_path, monkeypatch):
    runs = make_runs(tmp_path, "Pong-a", "Pong-b")

    def no_symlinks(*args, **kwargs):
        raise OSError("symbolic links are not supported here")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    link = update_latest_link(runs / "Pong-a")
    assert link.is_file() and not link.is_symlink()
    assert link.read_text() == "Pong-a\n"
    assert resolve_run_dir(link) == runs / "Pong-a"
    update_latest_link(runs / "Pong-b")
    assert resolve_run_dir(runs / LATEST) == runs / "Pong-b"
    assert sorted(p.name for p in runs.iterdir()) == ["Pong-a", "Pong-b", LATEST]


def test_a_users_own_latest_directory_is_left_alone(tmp_path):
    runs = make_runs(tmp_path, "run-a", LATEST)
    (runs / LATEST / "notes.txt").write_text("mine")
    assert update_latest_link(runs / "run-a") is None
    assert (runs / LATEST / "notes.txt").read_text() == "mine"
    assert resolve_run_dir(runs / LATEST) == runs / LATEST  # a real directory is taken as it is


def test_other_paths_pass_through_unchanged(tmp_path):
    assert resolve_run_dir(tmp_path / "runs" / "some-run") == tmp_path / "runs" / "some-run"
    assert resolve_run_dir("missing") == type(tmp_path)("missing")


@pytest.mark.parametrize("content", ["gone-run\n", "../../etc\n", "\n"])
def test_a_text_pointer_to_nowhere_is_an_error(tmp_path, content):
    runs = make_runs(tmp_path)
    (runs / LATEST).write_text(content)
    with pytest.raises(RunPointerError, match="latest"):
        resolve_run_dir(runs / LATEST)


def test_a_dangling_symlink_is_an_error(tmp_path):
    runs = make_runs(tmp_path, "old-run")
    update_latest_link(runs / "old-run")
    (runs / "old-run").rmdir()
    with pytest.raises(RunPointerError, match="old-run"):
        resolve_run_dir(runs / LATEST)
