"""Helpers shared by the comparison benchmarks: run one measured process and read back what it did.

Every measured run gets its own process, so runs never share an interpreter, a thread pool or a JIT cache.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# What a training run executes: run.py, the packages it imports, the presets. A benchmark's --json records their
# fingerprint, so that runs made in separate sittings are tabulated together (--merge) only when they measured
# the same trainer.
TRAINER_SOURCES = ("run.py", "a3c.py", "envs", "evaluate", "master_agent", "memory", "models", "presets", "rundir",
                   "worker")  # fmt: skip

# solved: CartPole-v1 | episodes 1,234 | steps 210,005 | 8.9 s | best avg100 476.3 | run runs/...
SUMMARY = re.compile(
    r"^(solved|not solved \(([^)]*)\)): \S+ \| episodes ([\d,]+) \| steps ([\d,]+) \| ([\d.]+) s", re.MULTILINE
)


@dataclass
class OursRun:
    wall: float  # launch of run.py to its exit: imports, TensorFlow start-up and XLA compilation included
    solved: bool
    steps: int  # at the solve, else at the end (from the summary line)
    seconds: float  # of training, at the solve, else at the end (from the summary line)
    state: dict[str, Any]  # the final checkpoint's counters: global_step, seconds, episodes, ...
    evaluations: int = 0  # rows of eval.csv: evaluations during training that finished
    reason: str = ""  # why it stopped, as the summary line says: solved, max seconds, ...

    @property
    def rate(self) -> float:
        """Env steps per second of training over the whole run, from the checkpoint."""
        return self.state["global_step"] / self.state["seconds"]


def solve_target(game: str) -> tuple[float, int]:
    """(reward, episodes): where run.py stops by default, the game's reward_threshold reached by the mean return
    of the last `RunConfig.target_window` episodes; read from where run.py reads them, never repeated here."""
    from envs import resolve_game
    from master_agent.config import RunConfig, field_default

    return float(resolve_game(game).reward_threshold), int(field_default(RunConfig, "target_window"))


def _run(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}:\n{tail}")
    return wall, proc.stdout


def run_ours(flags: list[str]) -> OursRun:
    """`python run.py FLAGS --runs-dir <tmp>`: its summary line and the counters of its final checkpoint."""
    with tempfile.TemporaryDirectory() as runs:
        return run_ours_in(flags, Path(runs))[0]


def run_ours_in(flags: list[str], runs: Path) -> tuple[OursRun, Path]:
    """`python run.py FLAGS --runs-dir RUNS`, RUNS an empty folder that the caller keeps: the run as `run_ours`
    reads it, and its run directory (eval.csv, best/, ...) for reading further or for `eval_ours`."""
    from rundir import read_checkpoint, read_evals

    wall, out = _run([sys.executable, str(ROOT / "run.py"), *flags, "--runs-dir", str(runs)])
    (run_dir,) = [p for p in Path(runs).iterdir() if p.name != "latest"]
    state = read_checkpoint(run_dir).state
    evaluations = len(read_evals(run_dir)["mean"])
    m = SUMMARY.search(out)
    if m is None:
        raise RuntimeError(f"no summary line in run.py's output:\n{out[-2000:]}")
    solved, steps, seconds = m.group(1) == "solved", int(m.group(4).replace(",", "")), float(m.group(5))
    return OursRun(wall, solved, steps, seconds, state, evaluations, m.group(2) or "solved"), run_dir


# episode  7: score 231.5 (412 steps)
EVAL_EPISODE = re.compile(r"^episode +\d+: score (\S+) \(", re.MULTILINE)


def eval_ours(
    run_dir: Path, episodes: int, seed: int, best: bool = True, greedy: bool = True
) -> tuple[float, list[float]]:
    """`python run.py --eval RUN_DIR [--best] [--greedy] --episodes N --seed S` in its own process:
    (process wall seconds, the episodes' scores as it printed them)."""
    flags = ["--eval", str(run_dir), "--episodes", str(episodes), "--seed", str(seed)]
    flags += ["--best"] * best + ["--greedy"] * greedy
    wall, out = _run([sys.executable, str(ROOT / "run.py"), *flags])
    scores = [float(s) for s in EVAL_EPISODE.findall(out)]
    if len(scores) != episodes:
        raise RuntimeError(f"run.py --eval printed {len(scores)} episode scores, not {episodes}:\n{out[-2000:]}")
    return wall, scores


def run_worker(cmd: list[str]) -> tuple[float, dict[str, Any]]:
    """Run a worker process that prints one JSON object as its last stdout line: (wall seconds, that object)."""
    wall, out = _run(cmd)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(cmd)} printed no JSON result:\n{out[-2000:]}")
    return wall, json.loads(lines[-1])


def _meaning(path: Path) -> str:
    """A source file as the interpreter sees it: Python without comments and docstrings, YAML as its data; so a
    preset's comment updated with a new measurement, or a docstring fixed, leaves the fingerprint as it was."""
    text = path.read_text()
    if path.suffix == ".yaml":
        import yaml

        return json.dumps(yaml.safe_load(text), sort_keys=True)
    tree = ast.parse(text)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def trainer_fingerprint(root: Path = ROOT) -> str:
    """A short hash of what `TRAINER_SOURCES` mean under `root` (their .py and .yaml files)."""
    digest = hashlib.sha256()
    for top in TRAINER_SOURCES:
        path = root / top
        if not path.exists():
            continue
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in (".py", ".yaml"))
        for f in files:
            digest.update(f"{f.relative_to(root).as_posix()}\0{_meaning(f)}\0".encode())
    return digest.hexdigest()[:16]


def machine() -> str:
    """The processor and its cores, for the record: timings from different machines are not one measurement."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def check_mergeable(parts: dict[str, dict[str, Any]]) -> None:
    """Refuse --json files (path -> contents) that measured different trainers, or that ran one game's seed twice
    (a seed run twice would count twice toward 'seeds reaching the target')."""
    prints = {path: data["settings"].get("trainer") for path, data in parts.items()}
    if len(set(prints.values())) != 1 or None in prints.values():
        listed = ", ".join(f"{path}: {fp or 'not recorded'}" for path, fp in prints.items())
        raise SystemExit(f"error: the files measured different trainer code (fingerprints {listed})")
    seen: dict[tuple[str, int], str] = {}
    for path, data in parts.items():
        for game, res in data["games"].items():
            runs = res["runs"] if isinstance(res["runs"], list) else res["runs"]["ours"]
            for r in runs:
                other = seen.setdefault((game, r["seed"]), path)
                if other != path:
                    raise SystemExit(f"error: {game} seed {r['seed']} is in both {other} and {path}")


def torch_threads(requested: int | None) -> int:
    """Apply --torch-threads (None keeps torch's default) and return the count torch will use."""
    import torch

    if requested is not None:
        torch.set_num_threads(requested)
    return torch.get_num_threads()
