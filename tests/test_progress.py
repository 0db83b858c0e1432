"""Progress while training: plain lines in logs, a live line on a terminal, and the start banner."""

from __future__ import annotations

import io

import pytest

from master_agent.progress import Progress, format_duration


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def drive(progress: Progress, until: float, dt: float = 0.1, steps_per_s: int = 1000) -> None:
    """What the master does: an update every ~0.1 s of training."""
    t = 0.0
    while t <= until + 1e-9:
        steps = int(t * steps_per_s)
        progress.update(
            steps, episodes=steps // 50, average=12.5 if t > 1 else None, best=13.0 if t > 1 else None, seconds=t
        )
        t = round(t + dt, 10)


def test_not_a_terminal_gives_a_plain_line_every_two_seconds():
    out = io.StringIO()
    progress = Progress(max_steps=10_000, max_seconds=None, window=100, stream=out)
    assert not progress.live_mode
    drive(progress, until=5.0)
    progress.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines  # at 2 s and 4 s of training
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()  # no terminal control codes in a log
    first = lines[0]
    for part in (
        "steps 2,000/10,000",
        "1,000 steps/s",
        "episodes 40",
        "avg100 12.5",
        "best 13.0",
        "elapsed 2.0 s",
        "left ~8.0 s",
    ):
        assert part in first, first
    assert " | " in first


def test_plain_line_before_the_window_fills_and_without_a_budget():
    out = io.StringIO()
    progress = Progress(max_steps=None, max_seconds=None, window=100, stream=out)
    progress.update(500, 3, None, None, 2.0)
    line = out.getvalue().strip()
    assert "avg100 n/a" in line and "best n/a" in line
    assert "left" not in line  # no budget: nothing to count down


def test_remaining_is_the_first_budget_to_run_out():
    progress = Progress(max_steps=100_000, max_seconds=60.0, window=100, stream=io.StringIO())
    assert progress.remaining(steps=10_000, seconds=10.0, rate=1000.0) == pytest.approx(50.0)  # time runs out first
    assert progress.remaining(steps=90_000, seconds=10.0, rate=1000.0) == pytest.approx(10.0)  # steps run out first
    assert progress.fraction(steps=50_000, seconds=6.0) == pytest.approx(0.5)


def test_banner_lists_the_settings():
    out = io.StringIO()
    progress = Progress(max_steps=None, max_seconds=30.0, window=100, stream=out)
    progress.banner({"game": "CartPole-v1", "network": "MLPActorCritic", "workers": "2", "run": "runs/x"})
    text = out.getvalue()
    for value in ("CartPole-v1", "MLPActorCritic", "workers", "runs/x"):
        assert value in text
    assert "\x1b" not in text


def test_a_terminal_gets_a_live_line(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    out = FakeTerminal()
    progress = Progress(max_steps=None, max_seconds=10.0, window=100, stream=out)
    assert progress.live_mode
    progress.banner({"game": "CartPole-v1"})
    drive(progress, until=3.0)
    progress.close()
    text = out.getvalue()
    assert "CartPole-v1" in text
    assert "3,000 steps" in text and "1,000/s" in text and "avg100 12.5" in text and "left" in text
    assert "\x1b[" in text  # redrawn in place, not one line per update
    assert text.count("/s") < 30  # redrawn a few times a second, not on each of the 31 updates
    size = len(text)
    progress.update(1, 1, 1.0, 1.0, 5.0)  # after close: ignored
    assert len(out.getvalue()) == size


def test_dumb_terminal_is_treated_as_a_log(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    assert not Progress(None, None, 100, stream=FakeTerminal()).live_mode


@pytest.mark.parametrize("seconds, text", [(4.24, "4.2 s"), (61, "1m01s"), (3599.6, "1h00m"), (7384, "2h03m")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
