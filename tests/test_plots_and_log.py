"""The per-episode log a run writes, and the reward curves drawn from it."""

import numpy as np
import pytest

from conftest import EPISODES_HEADER, is_png
from plots import draw_reward_curves, moving_average
from rundir import EpisodeLog, EpisodesError, read_episodes

ROWS = [
    # episode, worker, return, length, global_step, seconds
    (1, 0, 9.0, 9, 80, 0.25),
    (2, 1, 12.0, 12, 160, 0.5),
    (3, 0, -20.5, 14, 240, 1.0),
]


def write_log(run_dir, rows=ROWS):
    log = EpisodeLog(run_dir / "episodes.csv")
    for row in rows:
        log.write(*row)
    log.close()
    return run_dir / "episodes.csv"


def test_episode_log_writes_exact_header_and_rows(tmp_path):
    path = write_log(tmp_path)
    lines = path.read_text().splitlines()
    assert lines[0] == EPISODES_HEADER
    assert lines[1:] == ["1,0,9,9,80,0.250", "2,1,12,12,160,0.500", "3,0,-20.5,14,240,1.000"]


def test_episode_log_is_readable_while_still_open(tmp_path):
    # The master redraws the curves during the run: every row must be on disk as soon as it is logged.
    log = EpisodeLog(tmp_path / "episodes.csv")
    log.write(1, 0, 5.0, 5, 40, 0.1)
    try:
        assert list(read_episodes(tmp_path)["return"]) == [5.0]
    finally:
        log.close()


def test_read_episodes_round_trip(tmp_path):
    write_log(tmp_path)
    ep = read_episodes(tmp_path)
    assert set(ep) == set(EPISODES_HEADER.split(","))
    np.testing.assert_array_equal(ep["episode"], [1, 2, 3])
    np.testing.assert_array_equal(ep["worker"], [0, 1, 0])
    np.testing.assert_array_equal(ep["return"], [9.0, 12.0, -20.5])
    np.testing.assert_array_equal(ep["length"], [9, 12, 14])
    np.testing.assert_array_equal(ep["global_step"], [80, 160, 240])
    np.testing.assert_allclose(ep["seconds"], [0.25, 0.5, 1.0])


def test_read_episodes_of_a_run_with_no_episode_yet(tmp_path):
    write_log(tmp_path, rows=[])
    ep = read_episodes(tmp_path)
    assert all(len(col) == 0 for col in ep.values())


@pytest.mark.parametrize("torn", ["3", "3,0,-2", "3,0,-20.5,14,24"])
def test_read_episodes_tolerates_a_torn_final_line(tmp_path, torn):
    path = write_log(tmp_path, rows=ROWS[:2])
    with path.open("a", newline="") as f:
        f.write(torn)  # a crash mid-write: part of the last row, no line end
    ep = read_episodes(tmp_path)
    np.testing.assert_array_equal(ep["episode"][:2], [1, 2])
    np.testing.assert_array_equal(ep["return"][:2], [9.0, 12.0])
    assert len(ep["episode"]) == 2  # a line without its line end is not a record yet


def test_read_episodes_tolerates_a_line_torn_after_its_last_comma(tmp_path):
    path = write_log(tmp_path, rows=ROWS[:2])
    with path.open("a", newline="") as f:
        f.write("3,0,-20.5,14,240,")
    ep = read_episodes(tmp_path)
    np.testing.assert_array_equal(ep["episode"], [1, 2])


def test_read_episodes_rejects_a_damaged_complete_line(tmp_path):
    path = write_log(tmp_path, rows=ROWS[:1])
    with path.open("a", newline="") as f:
        f.write("2,0,oops,14,240,1.5\n3,0,1,1,241,1.6\n")
    with pytest.raises(EpisodesError, match="line 3 is damaged"):
        read_episodes(tmp_path)


def test_read_episodes_errors(tmp_path):
    with pytest.raises(EpisodesError, match="no run directory"):
        read_episodes(tmp_path / "missing")
    with pytest.raises(EpisodesError, match="no episodes.csv"):
        read_episodes(tmp_path)
    (tmp_path / "episodes.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(EpisodesError, match="not an episodes file"):
        read_episodes(tmp_path)


@pytest.mark.parametrize(
    "values, window, expected",
    [
        # trailing mean over the last `window` values, fewer at the start
        ([1, 2, 3, 4, 5], 2, [1.0, 1.5, 2.5, 3.5, 4.5]),  # (1)/1, (1+2)/2, (2+3)/2, (3+4)/2, (4+5)/2
        ([1, 2, 3, 4, 5], 3, [1.0, 1.5, 2.0, 3.0, 4.0]),  # 1, 3/2, 6/3, 9/3, 12/3
        ([10, 0, 20], 100, [10.0, 5.0, 10.0]),  # window longer than the data: running mean
        ([4, -2, 7], 1, [4.0, -2.0, 7.0]),  # window 1: the values themselves
    ],
)
def test_moving_average(values, window, expected):
    np.testing.assert_allclose(moving_average(np.array(values, dtype=float), window), expected)


def test_draw_reward_curves_writes_a_png(tmp_path):
    write_log(tmp_path)
    ep = read_episodes(tmp_path)
    out = tmp_path / "curves.png"
    result = draw_reward_curves([("run-a", ep), ("run-b", ep)], out, window=2, target=10.0)
    assert is_png(out)
    assert result == out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "episodes.csv"]  # no temp file left


def test_draw_reward_curves_replaces_an_existing_png(tmp_path):
    write_log(tmp_path)
    out = tmp_path / "rewards.png"
    out.write_bytes(b"old")
    draw_reward_curves([("run", read_episodes(tmp_path))], out)
    assert is_png(out)


def test_redrawing_the_curves_leaves_no_figure_behind(tmp_path):
    # A figure is a reference cycle; left to the cyclic collector (which a trainer's many long-lived objects
    # keep from running), every periodic redraw piled up its buffers: the long Atari run's memory growth.
    import gc

    from matplotlib.figure import Figure

    write_log(tmp_path)
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            draw_reward_curves([("run", read_episodes(tmp_path))], tmp_path / "rewards.png")
        alive = sum(isinstance(o, Figure) for o in gc.get_objects())
    finally:
        gc.enable()
    assert alive == 0
