"""Resident memory of a long training run, sampled as it goes: does anything grow with time?

    python bench/memory_soak.py [--minutes 60] [--every 60] -- --game SpaceInvaders --cnn-lstm

Starts `run.py` with the given flags (a temporary runs directory unless `--runs-dir` is among them), reads
the process's VmRSS every `--every` seconds, prints each sample, then the growth over the run's second
half: start-up, XLA compilation and the first allocations settle in the first half.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("flags", nargs=argparse.REMAINDER, help="run.py flags, after --")
    args = parser.parse_args()
    flags = [f for f in args.flags if f != "--"] or ["--game", "SpaceInvaders", "--cnn-lstm"]

    with tempfile.TemporaryDirectory() as tmp:
        if "--runs-dir" not in flags:
            flags += ["--runs-dir", tmp]
        cmd = [sys.executable, str(ROOT / "run.py"), *flags, "--max-seconds", str(args.minutes * 60 + 120)]
        print("$", " ".join(cmd), flush=True)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        samples: list[tuple[float, float]] = []
        start = time.perf_counter()
        try:
            while time.perf_counter() - start < args.minutes * 60 and proc.poll() is None:
                time.sleep(args.every)
                rss = rss_mb(proc.pid)
                if rss is not None:
                    minute = (time.perf_counter() - start) / 60
                    samples.append((minute, rss))
                    print(f"{minute:6.1f} min  RSS {rss:8.1f} MB", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait()
    if len(samples) < 4:
        print("too few samples", file=sys.stderr)
        return 1
    half = samples[len(samples) // 2 :]
    (t0, m0), (t1, m1) = half[0], half[-1]
    print(
        f"second half ({t0:.0f}-{t1:.0f} min): {m0:.1f} -> {m1:.1f} MB, "
        f"{(m1 - m0) / max(t1 - t0, 1e-9) * 60:+.1f} MB/hour; min {min(m for _, m in half):.1f}, "
        f"max {max(m for _, m in half):.1f} MB over the whole run: {min(m for _, m in samples):.1f}-"
        f"{max(m for _, m in samples):.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
