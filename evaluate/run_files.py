"""Find and check what `--eval`, `--export` and `load_agent` need in a run directory: `config.json` and
`checkpoint/checkpoint.npz` (or, with `best`, `best/checkpoint.npz`).

No TensorFlow: a missing or foreign directory is reported at once. The checkpoint's contents are read
later, by `evaluate.player`, where a damaged file is reported the same way (`EvalError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rundir import (
    BEST_DIR,
    CHECKPOINT_DIR,
    CHECKPOINT_FILE,
    CONFIG_FILE,
    ConfigError,
    RunPointerError,
    read_config,
    resolve_run_dir,
)


class EvalError(ValueError):
    """Input `--eval` cannot use: reported as one `error:` line, exit status 2."""


@dataclass(frozen=True)
class RunInfo:
    run_dir: Path
    game_id: str  # as config.game keeps it: a registered id, or `module:id`
    cnn_lstm: bool
    network: str | None  # the class name training recorded, e.g. "MLPActorCritic"
    observation_shape: tuple[int, ...]
    target_reward: float | None
    folder: str = CHECKPOINT_DIR  # which weights: the latest checkpoint, or `best` (the best evaluated)
    env_kwargs: dict[str, Any] = field(default_factory=dict, hash=False)  # the game's constructor arguments
    # The policy's distribution as training built it (`Distribution.get_config()`); None in runs saved before it was
    # recorded, whose Discrete games rebuild it from the action space alone.
    distribution: dict[str, Any] | None = field(default=None, hash=False)
    conv_activation: str = "relu"  # the image networks' activation; relu in runs saved before it could be chosen
    layer_norm: bool = False  # the image networks' LayerNorm; off in runs saved before it could be chosen

    @property
    def checkpoint(self) -> Path:
        return self.run_dir / self.folder / CHECKPOINT_FILE


def load_run_info(path: str | Path, best: bool = False) -> RunInfo:
    """The run at `path` (`runs/latest` followed), with its settings; EvalError if it is not a usable run.

    `best`: the weights kept in `best/` (the best evaluation mean during training) instead of the last checkpoint."""
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
        env_kwargs = config.get("env_kwargs") or {}  # none in a run saved before the setting existed
        if not isinstance(env_kwargs, dict):
            raise TypeError
        info = RunInfo(
            run_dir=run_dir,
            game_id=config["game"],
            cnn_lstm=bool(config.get("cnn_lstm", False)),
            network=saved.get("network"),
            distribution=saved.get("distribution"),
            observation_shape=shape,
            target_reward=float(target) if target is not None else None,
            folder=BEST_DIR if best else CHECKPOINT_DIR,
            env_kwargs=env_kwargs,
            conv_activation=str((config.get("hyperparams") or {}).get("conv_activation", "relu")),
            layer_norm=bool((config.get("hyperparams") or {}).get("layer_norm", False)),
        )
    except (KeyError, TypeError, ValueError):
        raise EvalError(
            f"'{run_dir / CONFIG_FILE}' is not a run's config (it needs config.game and observation_shape)"
        ) from None
    if best and not info.checkpoint.is_file():
        raise EvalError(
            f"'{path}' has no best weights ({BEST_DIR}/{CHECKPOINT_FILE}): it was trained without evaluation "
            "during training (--eval-every), or before any evaluation finished"
        )
    if not info.checkpoint.is_file():
        raise EvalError(f"'{path}' has no checkpoint ({CHECKPOINT_DIR}/{CHECKPOINT_FILE}): nothing to evaluate")
    return info
