"""TensorBoard event files, read back with TensorBoard's own reader."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from master_agent.tensorboard_log import TensorBoardLog

STATS = {"loss": 1.5, "policy_loss": -0.25, "value_loss": 3.0, "entropy": 0.69, "grad_norm": 12.0}


def read_back(directory) -> dict[str, list[tuple[int, float]]]:
    acc = EventAccumulator(str(directory), size_guidance={"tensors": 0})
    acc.Reload()
    for tag in acc.Tags()["tensors"]:  # what TensorBoard's scalar dashboard shows
        assert acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars", tag
    return {
        tag: [(event.step, float(tf.make_ndarray(event.tensor_proto))) for event in acc.Tensors(tag)]
        for tag in acc.Tags()["tensors"]
    }


def test_episode_and_update_tags_read_back(tmp_path):
    log = TensorBoardLog(tmp_path)
    log.episode(global_step=100, worker=0, episode_return=21.0, length=21, moving_average=None)
    log.episode(global_step=180, worker=1, episode_return=30.0, length=30, moving_average=25.5)
    log.update(global_step=200, worker=1, stats=STATS, learning_rate=1e-3, steps_per_second=1234.0)
    log.close()
    assert (tmp_path / "tensorboard").is_dir()

    tags = read_back(tmp_path / "tensorboard")
    assert tags["episode/return"] == [(100, 21.0), (180, 30.0)]
    assert tags["episode/length"] == [(100, 21.0), (180, 30.0)]
    assert tags["episode/moving_average"] == [(180, 25.5)]  # none while the window was filling
    assert tags["worker_0/episode_return"] == [(100, 21.0)]
    assert tags["worker_1/episode_return"] == [(180, 30.0)]
    expected = {
        "loss/total": 1.5,
        "loss/policy": -0.25,
        "loss/value": 3.0,
        "policy/entropy": 0.69,
        "optim/grad_norm": 12.0,
        "optim/learning_rate": 1e-3,
        "perf/steps_per_second": 1234.0,
        "worker_1/loss": 1.5,
        "worker_1/entropy": 0.69,
        "worker_1/grad_norm": 12.0,
    }
    for tag, value in expected.items():
        ((step, got),) = tags[tag]
        assert step == 200 and got == pytest.approx(value, rel=1e-6), tag


def test_evaluation_and_confirmation_tags_read_back(tmp_path):
    log = TensorBoardLog(tmp_path)
    log.evaluation(global_step=50_000, mean=210.5, std=40.0)
    log.confirmation(global_step=50_000, mean=187.25)  # the same weights over 100 fresh episodes
    log.close()
    tags = read_back(tmp_path / "tensorboard")
    assert tags["eval/mean_return"] == [(50_000, 210.5)]
    assert tags["eval/std_return"] == [(50_000, 40.0)]
    assert tags["eval/confirmed_return"] == [(50_000, 187.25)]


def test_writes_from_several_threads_all_land(tmp_path):
    log = TensorBoardLog(tmp_path)

    def worker(i):
        for k in range(25):
            log.episode(global_step=i * 1000 + k, worker=i, episode_return=float(k), length=k + 1, moving_average=1.0)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    log.episode(1, 0, 1.0, 1, 1.0)  # after close: ignored, no error
    tags = read_back(tmp_path / "tensorboard")
    assert len(tags["episode/return"]) == 75
    for i in range(3):
        assert [v for _, v in tags[f"worker_{i}/episode_return"]] == list(np.arange(25.0))


def test_flush_writes_what_is_buffered_without_closing(tmp_path):
    log = TensorBoardLog(tmp_path)
    try:
        log.episode(global_step=7, worker=0, episode_return=3.0, length=3, moving_average=None)
        log.flush()
        assert read_back(tmp_path / "tensorboard")["episode/return"] == [(7, 3.0)]
    finally:
        log.close()
