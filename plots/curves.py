"""Draw reward curves from `episodes.csv` files, for one run during training or several to compare."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

EPISODE_COLUMNS = ("episode", "worker", "return", "length", "global_step", "seconds")


class CurveError(ValueError):
    """A path that holds no readable run."""


def read_episodes(run_dir: str | Path) -> dict[str, np.ndarray]:
    """Columns of a run's `episodes.csv` as arrays."""
    path = Path(run_dir) / "episodes.csv"
    if not Path(run_dir).is_dir():
        raise CurveError(f"no run directory at '{run_dir}'")
    if not path.is_file():
        raise CurveError(f"'{run_dir}' holds no run (no episodes.csv)")
    text = path.read_text()
    if text and not text.endswith("\n"):  # a line torn by a crash mid-write: not a record yet
        text = text[: text.rfind("\n") + 1]
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or tuple(header) != EPISODE_COLUMNS:
        raise CurveError(f"'{path}' is not an episodes file (header {header})")
    rows = []
    for line_no, row in enumerate(reader, start=2):
        try:
            if len(row) != len(EPISODE_COLUMNS):
                raise ValueError
            rows.append([float(x) for x in row])
        except ValueError:
            raise CurveError(f"'{path}' line {line_no} is damaged: {','.join(row)!r}") from None
    table = np.array(rows, dtype=np.float64).reshape(-1, len(EPISODE_COLUMNS))
    return {name: table[:, i] for i, name in enumerate(EPISODE_COLUMNS)}


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over the last `window` values (fewer at the start), the same the stop rule uses."""
    cumsum = np.cumsum(np.insert(np.asarray(values, dtype=np.float64), 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    start = np.maximum(idx - window, 0)
    return (cumsum[idx] - cumsum[start]) / (idx - start)


def draw_reward_curves(
    runs: list[tuple[str, dict[str, np.ndarray]]],
    out: str | Path,
    window: int = 100,
    target: float | None = None,
    show: bool = False,
) -> Path:
    """One figure: raw returns faint, moving average bold, one colour per run; saved to `out`."""
    import matplotlib

    if not show:
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for i, (label, episodes) in enumerate(runs):
        color = f"C{i}"
        x, returns = episodes["episode"], episodes["return"]
        ax.plot(x, returns, color=color, alpha=0.25, linewidth=0.8)
        ax.plot(x, moving_average(returns, window), color=color, linewidth=2, label=f"{label} ({window}-ep mean)")
    if target is not None:
        ax.axhline(target, color="gray", linestyle="--", linewidth=1, label=f"target {target:g}")
    ax.set_xlabel("episode")
    ax.set_ylabel("episode return")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    fig.tight_layout()
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    tmp.replace(out)
    if show:
        plt.show()
    plt.close(fig)
    return out
