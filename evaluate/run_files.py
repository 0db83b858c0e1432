"""Find and check what `--eval` needs in a run directory: `config.json` and `checkpoint/checkpoint.npz`.

No TensorFlow: a missing or foreign directory is reported at once. The checkpoint's contents are read
later, by `evaluate.player`, where a damaged file is reported the same way (`EvalError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rundir import CHECKPOINT_PATH, CONFIG_FILE, ConfigError, RunPointerError, read_config, resolve_run_dir


class EvalError(ValueError):
    """Input `--eval` cannot use: reported as one `error:` line, exit status 2."""


@dataclass(frozen=True)
class RunInfo:
    run_dir: Path
    game_id: str
    cnn_lstm: bool
    network: str | None  # the class name training recorded, e.g. "MLPActorCritic"
    observation_shape: tuple[int, ...]
    target_reward: float | None

    @property
    def checkpoint(self) -> Path:
        return self.run_dir / CHECKPOINT_PATH


def load_run_info(path: str | Path) -> RunInfo:
    """The run at `path` (`runs/latest` followed), with its settings; EvalError if it is not a usable run."""
    try:
        run_dir = resolve_run_dir(path)
        saved = read_config(run_dir)
    except RunPointerError as exc:
        raise EvalError(str(exc)) from None
    except ConfigError as exc:
        raise EvalError(
            {
                "no_run_dir": f"no run directory at '{path}'",
                "missing": f"'{path}' holds no run (no {CONFIG_FILE})",
                "foreign": f"'{exc.path}' is not a run's config (it needs config.game and observation_shape)",
            }.get(exc.problem, str(exc))
        ) from None
    try:
        config = saved["config"]
        shape = tuple(int(n) for n in saved["observation_shape"])
        if not shape:
            raise ValueError
        target = config.get("target_reward")
        info = RunInfo(
            run_dir=run_dir,
            game_id=config["game"],
            cnn_lstm=bool(config.get("cnn_lstm", False)),
            network=saved.get("network"),
            observation_shape=shape,
            target_reward=float(target) if target is not None else None,
        )
    except (KeyError, TypeError, ValueError):
        raise EvalError(
            f"'{run_dir / CONFIG_FILE}' is not a run's config (it needs config.game and observation_shape)"
        ) from None
    if not info.checkpoint.is_file():
        raise EvalError(f"'{path}' has no checkpoint ({CHECKPOINT_PATH}): nothing to evaluate")
    return info
