"""What a user sees while a run trains: a start banner, then a live line on a terminal or plain lines in a log.

On a terminal (the stream is a TTY and TERM is not `dumb`) one line is redrawn in place with rich: a bar of the
budget used (where there is a step or time budget), env steps, steps per second, episodes, the moving average
and the best one, elapsed time and what is left. Anywhere else (a pipe, a file, CI) it prints one plain line
every 2 s, so logs stay readable and grep-able. No TensorFlow here.

The master calls `update` often (every ~0.1 s); this class decides when to draw.
"""

from __future__ import annotations

import collections
import os
import sys
from typing import TextIO

PLAIN_EVERY_S = 2.0  # seconds of training between two plain lines
LIVE_EVERY_S = 0.25  # seconds between two redraws of the live line
RATE_WINDOW_S = 10.0  # steps/s is measured over about this many recent seconds


def format_duration(seconds: float) -> str:
    """`42.0 s`, `12m03s`, `3h05m`: short enough for one line."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty()) and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """Start banner, live progress and its end, for one training run."""

    def __init__(self, max_steps: int | None, max_seconds: float | None, window: int, stream: TextIO = sys.stdout):
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.window = window
        self.stream = stream
        self.live_mode = is_terminal(stream)
        self._samples: collections.deque[tuple[float, int]] = collections.deque()
        self._next_plain = PLAIN_EVERY_S
        self._next_live = 0.0
        self._live = None
        self._console = None
        self._closed = False
        self.last_evaluation: float | None = None  # the latest evaluation mean, shown once there is one
        if self.live_mode:
            from rich.console import Console

            self._console = Console(file=stream, highlight=False)

    # --- start -----------------------------------------------------------------------------------
    def banner(self, lines: dict[str, str]) -> None:
        """The run's settings, once, before training starts: `{"game": "CartPole-v1", "workers": "2", ...}`."""
        if self.live_mode:
            from rich.panel import Panel
            from rich.table import Table

            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold")
            table.add_column()
            for key, value in lines.items():
                table.add_row(str(key), str(value))
            self._console.print(Panel(table, title="A3C training", title_align="left", expand=False))
        else:
            width = max((len(str(k)) for k in lines), default=0)
            text = ["A3C training"] + [f"  {str(k):<{width}}  {v}" for k, v in lines.items()]
            self.stream.write("\n".join(text) + "\n")
            self.stream.flush()

    # --- during the run --------------------------------------------------------------------------
    def update(self, steps: int, episodes: int, average: float | None, best: float | None, seconds: float) -> None:
        """The run's counters now; `seconds` is training time so far. Cheap when it draws nothing."""
        if self._closed:
            return
        rate = self._rate(steps, seconds)
        if self.live_mode:
            if seconds >= self._next_live:
                self._next_live = seconds + LIVE_EVERY_S
                self._draw_live(steps, episodes, average, best, seconds, rate)
        elif seconds >= self._next_plain:
            self._next_plain = seconds + PLAIN_EVERY_S
            self.stream.write(self.plain_line(steps, episodes, average, best, seconds, rate) + "\n")
            self.stream.flush()

    def evaluation(self, mean: float) -> None:
        """An evaluation during training finished: its mean joins the line."""
        self.last_evaluation = mean

    def note(self, text: str) -> None:
        """A line of its own above the progress (an event worth keeping on screen)."""
        if self._closed:
            return
        if self.live_mode:
            self._console.print(text)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        """End the live line (it stays on screen as drawn last); later updates are ignored."""
        if self._closed:
            return
        self._closed = True
        if self._live is not None:
            self._live.stop()
            self._live = None
        try:
            self.stream.flush()
        except (AttributeError, ValueError):
            pass

    # --- pieces ----------------------------------------------------------------------------------
    def _rate(self, steps: int, seconds: float) -> float:
        """Steps per second over the last ~RATE_WINDOW_S seconds (since the start, early on)."""
        self._samples.append((seconds, steps))
        while len(self._samples) > 2 and seconds - self._samples[1][0] >= RATE_WINDOW_S:
            self._samples.popleft()
        t0, s0 = self._samples[0]
        if seconds - t0 > 1e-9:
            return (steps - s0) / (seconds - t0)
        return steps / seconds if seconds > 1e-9 else 0.0

    def fraction(self, steps: int, seconds: float) -> float | None:
        """How much of the budget is used (the larger of steps and time), or None without a budget."""
        parts = []
        if self.max_steps:
            parts.append(steps / self.max_steps)
        if self.max_seconds:
            parts.append(seconds / self.max_seconds)
        return min(1.0, max(parts)) if parts else None

    def remaining(self, steps: int, seconds: float, rate: float) -> float | None:
        """Seconds until the first budget runs out (steps at the current rate, or time), or None."""
        left = []
        if self.max_steps and rate > 0:
            left.append(max(0, self.max_steps - steps) / rate)
        if self.max_seconds:
            left.append(max(0.0, self.max_seconds - seconds))
        return min(left) if left else None

    def _fields(self, steps, episodes, average, best, seconds, rate, compact=False) -> list[str]:
        avg = f"{average:.1f}" if average is not None else "n/a"
        best_text = f"{best:.1f}" if best is not None else "n/a"
        left = self.remaining(steps, seconds, rate)
        if compact:  # the live line: fits ~100 columns next to its bar
            fields = [
                f"{steps:,} steps",
                f"{rate:,.0f}/s",
                f"{episodes:,} episodes",
                f"avg{self.window} {avg}",
                f"best {best_text}",
                format_duration(seconds),
            ]
            if self.last_evaluation is not None:
                fields.insert(5, f"eval {self.last_evaluation:.1f}")
            if left is not None:
                fields.append(f"~{format_duration(left)} left")
            return fields
        fields = [
            f"steps {steps:,}" + (f"/{self.max_steps:,}" if self.max_steps else ""),
            f"{rate:,.0f} steps/s",
            f"episodes {episodes:,}",
            f"avg{self.window} {avg}",
            f"best {best_text}",
            f"elapsed {format_duration(seconds)}",
        ]
        if self.last_evaluation is not None:
            fields.insert(5, f"eval {self.last_evaluation:.1f}")
        if left is not None:
            fields.append(f"left ~{format_duration(left)}")
        return fields

    def plain_line(self, steps, episodes, average, best, seconds, rate) -> str:
        """`steps 12,000 | 1,850 steps/s | episodes 310 | avg100 45.2 | best 47.0 | elapsed 6.5 s | left ~...`"""
        return " | ".join(self._fields(steps, episodes, average, best, seconds, rate))

    def _draw_live(self, steps, episodes, average, best, seconds, rate) -> None:
        from rich.live import Live
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        line = Table.grid(padding=(0, 1))
        # A narrow terminal folds the line in two rather than cutting it off.
        text = Text(" · ".join(self._fields(steps, episodes, average, best, seconds, rate, compact=True)))
        done = self.fraction(steps, seconds)
        if done is not None:
            line.add_row(ProgressBar(total=1.0, completed=done, width=24), Text(f"{done:4.0%}"), text)
        else:
            line.add_row(text)
        if self._live is None:
            # No refresh thread of its own (it would take the GIL from the workers): redrawn from here. Other
            # prints to stdout appear above the line; stderr is left alone (errors stay where they belong).
            self._live = Live(
                line,
                console=self._console,
                auto_refresh=False,
                transient=False,
                redirect_stdout=self.stream is sys.stdout,
                redirect_stderr=False,
            )
            self._live.start()
        self._live.update(line, refresh=True)
