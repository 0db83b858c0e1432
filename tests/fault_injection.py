"""`python tests/fault_injection.py KIND@N RUN.PY-ARGS...`: run.py with worker 0's core wrapped to fail.

KIND is `exception` (raise in worker 0's N-th update), `nan` (NaN gradients from its N-th update on) or
`nan_once` (only in that update). The fault is the tests' own: production code has no hook for it; this wraps
the core that `worker.factory.make_core` builds, as a user's own instrumentation would.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import master_agent.backends  # noqa: E402  (the thread backend calls make_core through this module)


class InjectedFault(RuntimeError):
    pass


class FaultyCore:
    """Delegates to a real core; its `update` fails as the spec says. A restarted worker keeps this wrapper and
    its count, so an `exception` happens once, not again after the restart."""

    def __init__(self, core, kind: str, at: int) -> None:
        self._core, self._kind, self._at, self._updates = core, kind, at, 0

    def update(self):
        self._updates += 1
        n = self._updates
        if self._kind == "exception" and n == self._at:
            raise InjectedFault(f"injected failure in update {n}")
        update = self._core.update()
        if (self._kind == "nan" and n >= self._at) or (self._kind == "nan_once" and n == self._at):
            return replace(update, grads=update.grads * float("nan"), stats={**update.stats, "grad_norm": float("nan")})
        return update

    @property
    def __class__(self):  # isinstance sees the real core (a restart treats in-graph cores apart)
        return type(self._core)

    def __getattr__(self, name):
        return getattr(self._core, name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._core, name, value)


def main() -> int:
    kind, _, at = sys.argv[1].partition("@")
    make_core = master_agent.backends.make_core

    def make_faulty_core(*args, name: str = "local", **kwargs):
        core = make_core(*args, name=name, **kwargs)
        return FaultyCore(core, kind, int(at or 1)) if name == "local_0" else core

    master_agent.backends.make_core = make_faulty_core
    import run

    return run.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
