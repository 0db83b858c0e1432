"""Hyperparameter search with Optuna (`run.py --tune`): a TPE sampler, a median pruner fed with the training
window's mean as trials go, the study kept in SQLite so that running `--tune` again continues it.

    <study dir>/                   runs/tune-<game> unless --study-dir says otherwise
        study.db                   Optuna's storage: every trial, its settings, reports and result
        trials/<game>-<time>/      each trial a normal run directory (config.json, episodes.csv, checkpoint, ...)
        best.yaml                  the best settings so far, a `--config` file (written after every trial)

A trial trains for `--trial-seconds` with its sampled settings over the game's own (preset or defaults); its
value is the mean return of its last 100 episodes when time is up. With `--trial-seeds K` a trial trains K runs,
one after another on seeds of their own, and its value is the mean of theirs: one seed's result is noisy enough
that a setting which got lucky once can win a search (README, "Hyperparameter search"). The first trial of a new
study plays the settings the game would train with anyway, so the table shows what the search found beside them.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from master_agent.config import RunConfig
from master_agent.presets import write_preset
from master_agent.settings import SettingsError
from tuning.space import DEFAULT_TUNE_PARAMS, SEARCH_SPACE

STUDY_FILE = "study.db"
TRIALS_DIR = "trials"
BEST_FILE = "best.yaml"
NO_PRESET = " --no-preset"  # how best.yaml of a study over the kind's defaults is trained
REPORTS_PER_TRIAL = 20  # how many times a trial tells the pruner its mean (the median is taken per report)


def check_tune_params(names: list[str]) -> list[str]:
    unknown = [name for name in names if name not in SEARCH_SPACE]
    if unknown or not names:
        raise SettingsError(
            f"--tune-params: unknown setting '{unknown[0]}'" if unknown else "--tune-params: name at least one setting"
        ) from None
    return names


def storage_url(study_dir: Path) -> str:
    return f"sqlite:///{(Path(study_dir) / STUDY_FILE).resolve()}"


def recorded_trials(study_dir: Path) -> dict[str, Any]:
    """What a study on disk says of its trials: `trial_seconds`, `trial_seeds` and `preset` (whether they ran over
    the game's preset); a study made before one was kept lacks it."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return dict(optuna.load_study(study_name=None, storage=storage_url(study_dir)).user_attrs)


def current_value(config: RunConfig, name: str) -> Any:
    """The value a run's config has for a search setting (named as its flag)."""
    if name == "lr":
        return config.learning_rate
    return getattr(config.hyperparams, name)


class Study:
    """One search on one game, on disk in `study_dir`."""

    def __init__(
        self,
        make_config: Callable[..., RunConfig],
        train: Callable[..., Any],
        game: str,
        study_dir: Path,
        params: list[str],
        trial_seconds: float,
        base: dict[str, Any],
        preset: bool = True,
        trial_seeds: int = 1,
    ) -> None:
        """`make_config(game, preset=..., **settings)` and `train(config, observe)` are the API's; `base`: the
        settings every trial shares (a --config file's, then the command line's flags), over the game's preset
        unless `preset` is False."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.make_config, self.train = make_config, train
        self.game, self.study_dir, self.params = game, study_dir, params
        self.trial_seconds, self.base, self.preset, self.trial_seeds = trial_seconds, base, preset, trial_seeds
        self.interrupted = False  # Ctrl-C stopped it
        study_dir.mkdir(parents=True, exist_ok=True)
        self.study = optuna.create_study(
            storage=storage_url(study_dir),
            study_name=game,
            load_if_exists=True,
            direction="maximize",
            # A trial is judged from half its time on, against the median of the trials before it at the same
            # point: the first seconds of any setting look alike. From a third on, a Pendulum-v1 search (50 s
            # trials) pruned 12 of 20 while every trial was still near the random score, among them four of the
            # seven at gamma 0.9, the one gamma that learns Pendulum.
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=REPORTS_PER_TRIAL // 2),
        )
        self._check_same_trials()
        # Seeded by the trials already there: a continued study must not draw the same first samples again.
        self.study.sampler = optuna.samplers.TPESampler(seed=(base.get("seed") or 0) + len(self.study.trials))
        if not self.study.trials:  # a new study: its first trial is what the game trains with today
            baseline = self.make_config(game, preset=preset, **base)
            self.study.enqueue_trial({name: current_value(baseline, name) for name in params})

    def _check_same_trials(self) -> None:
        """A continued study's trials must be judged as its first ones were: the same time and seeds per trial, over
        the same base (the game's preset, or the kind's defaults with --no-preset)."""
        shape = {"trial_seconds": self.trial_seconds, "trial_seeds": self.trial_seeds, "preset": self.preset}
        recorded = self.study.user_attrs
        for name, value in shape.items():
            if name not in recorded or recorded[name] == value:
                continue
            where = f"the study in {self.study_dir} ran its trials"
            if name == "preset":
                raise SettingsError(
                    f"{where} over the game's preset: drop --no-preset, or give another --study-dir"
                    if recorded[name]
                    else f"{where} with --no-preset: give it again, or another --study-dir"
                )
            flag = "--" + name.replace("_", "-")
            raise SettingsError(
                f"{flag} {value:g}: {where} with {flag} {recorded[name]:g}; give the same, or another --study-dir"
            )
        for name, value in shape.items():
            self.study.set_user_attr(name, value)

    def run(self, trials: int) -> None:
        """Run trials until the study has `trials` finished ones (a continued study counts those it has); Ctrl-C
        stops it, keeping every finished trial (the interrupted one is marked failed)."""
        while self.finished() < trials:
            if not self.run_trial():
                break

    def run_trial(self) -> bool:
        """One trial; False where Ctrl-C stopped it (the study stops, the trial is marked failed and interrupted,
        and a continued study runs another in its place)."""
        from optuna.trial import TrialState

        trial = self.study.ask()
        try:
            result = self._train_trial(trial)
        except KeyboardInterrupt:  # before its training started, or while it was being judged
            result = None
        if result is None or result.reason == "interrupted":
            trial.set_user_attr("interrupted", True)
            self.study.tell(trial, state=TrialState.FAIL)
            print(f"trial {trial.number}: interrupted; the study stops (run --tune again to continue it)", flush=True)
            self.interrupted = True
            return False
        if result.reason == "skipped":
            self.study.tell(trial, state=TrialState.FAIL)
        elif result.reason == "stopped_by_caller":
            self.study.tell(trial, state=TrialState.PRUNED)
        elif result.final_average is None:  # not one episode finished: nothing to judge it by
            self.study.tell(trial, state=TrialState.FAIL)
        else:
            self.study.tell(trial, result.final_average)  # the mean over the trial's seeds
        self.write_best()
        return True

    def _train_trial(self, trial):
        """Train one trial's runs (one per seed), telling the pruner the trial's mean as it goes: a TrainResult
        whose `final_average` is the mean over the seeds (the last run's result where one stopped short)."""
        sampled = {name: SEARCH_SPACE[name].suggest(trial, name) for name in self.params}
        print(f"\ntrial {trial.number}: {describe(sampled)}", flush=True)
        finals: list[float] = []  # each finished seed's last-100 mean
        run_dirs: list[str] = []
        for index in range(self.trial_seeds):
            seed = (self.base.get("seed") or 0) + trial.number * self.trial_seeds + index
            settings = {
                **self.base,
                **sampled,
                "seed": seed,
                "max_seconds": self.trial_seconds,
                "runs_dir": str(self.study_dir / TRIALS_DIR),
            }
            try:
                config = self.make_config(self.game, preset=self.preset, **settings)
            except SettingsError as exc:  # settings that do not go together (e.g. normalization with a TF port)
                print(f"trial {trial.number}: skipped, {exc}", flush=True)
                return Skipped()
            config = dataclasses.replace(config, target_reward=None)  # a trial runs its time: values compare
            if self.trial_seeds > 1:
                print(f"trial {trial.number}, seed {seed} ({index + 1} of {self.trial_seeds})", flush=True)
            result = self.train(config, self._observer(trial, index, finals))
            run_dirs.append(str(result.run_dir))
            trial.set_user_attr("run_dirs", run_dirs)
            if result.reason in ("interrupted", "stopped_by_caller") or result.final_average is None:
                return result
            finals.append(result.final_average)
        return dataclasses.replace(result, final_average=sum(finals) / len(finals))

    def _observer(self, trial, index: int, finals: list[float]) -> Callable[[float, int, float | None], bool]:
        """What the run of a trial's `index`-th seed calls about once a second: reports the trial's mean so far
        (the seeds done and this run's current mean) at report number `index * REPORTS_PER_TRIAL + n`, so that
        every trial is compared with the others at the same point, and says whether the pruner stops it."""
        every = self.trial_seconds / REPORTS_PER_TRIAL
        next_report = [every]

        def observe(seconds: float, step: int, average: float | None) -> bool:
            if average is None or seconds < next_report[0]:
                return False
            report = int(seconds / every)
            trial.report((sum(finals) + average) / (len(finals) + 1), index * REPORTS_PER_TRIAL + report)
            next_report[0] = (report + 1) * every
            return trial.should_prune()

        return observe

    def finished(self) -> int:
        """Trials that ran to an end (complete, pruned, or failed on their own), not those Ctrl-C cut short."""
        return sum(t.state.is_finished() and not t.user_attrs.get("interrupted") for t in self.study.trials)

    def table(self) -> str:
        rows = [f"{'trial':>5}  {'state':8}  {'value':>9}  settings   (a pruned trial's value: its last report)"]
        for t in self.study.trials:
            value = f"{t.value:9.1f}" if t.value is not None else f"{'-':>9}"
            rows.append(f"{t.number:5d}  {t.state.name.lower():8}  {value}  {describe(t.params)}")
        return "\n".join(rows)

    def best(self):
        """The completed trial with the highest value (a pruned trial's value is only its last report)."""
        from optuna.trial import TrialState

        completed = [
            t
            for t in self.study.trials
            if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
        ]
        return max(completed, key=lambda t: t.value) if completed else None

    def write_best(self) -> Path | None:
        """best.yaml: the game and the best trial's settings, a file for `run.py --config`."""
        best = self.best()
        if best is None:
            return None
        comment = [
            f"Best of {self.finished()} trials of `run.py --tune --game {self.game}` ({self.trial_seconds:g} s each):",
            f"trial {best.number}: mean of its last 100 episodes {best.value:.1f} after {self.trial_seconds:g} s"
            + (f" (the mean of {self.trial_seeds} seeds)." if self.trial_seeds > 1 else "."),
            f"Run directories: {', '.join(best.user_attrs.get('run_dirs') or [best.user_attrs.get('run_dir', '?')])}",
            f"Train with it: python run.py --config {self.study_dir / BEST_FILE}" + ("" if self.preset else NO_PRESET),
        ]
        if not self.preset:
            comment.append("(the trials ran over the kind's defaults, not the game's preset: --no-preset)")
        shared = {k: v for k, v in self.base.items() if k not in ("seed", "runs_dir", "max_seconds")}
        settings = {"game": self.game, **shared, **best.params}
        return write_preset(self.study_dir / BEST_FILE, settings, comment)


@dataclass(frozen=True)
class Skipped:
    """A trial whose sampled settings do not go together: it fails at once."""

    reason: str = "skipped"
    final_average: None = None


def describe(params: dict[str, Any]) -> str:
    return ", ".join(
        f"{name} {value:.3g}" if isinstance(value, float) else f"{name} {value}" for name, value in params.items()
    )


def study_dir_for(game: str, runs_dir: str) -> Path:
    return Path(runs_dir) / f"tune-{game.replace('/', '-').replace(':', '-')}"


def tune(
    game: str | None,
    trials: int,
    trial_seconds: float,
    params: list[str] | None = None,
    study_dir: str | Path | None = None,
    config_file: str | Path | None = None,
    preset: bool = True,
    trial_seeds: int = 1,
    **settings: Any,
) -> Study:
    """Search `params` (DEFAULT_TUNE_PARAMS) for `game` with `trials` trials of `trial_seeds` runs of
    `trial_seconds` each; prints the table of trials and writes best.yaml. Every trial shares `settings` (None: not
    given) over `config_file`'s (which may name the game) over the game's preset (unless `preset` is False)."""
    import a3c
    from master_agent.launch import resolve_game_id
    from master_agent.presets import GAME_KEY, read_settings_file

    params = check_tune_params(list(params or DEFAULT_TUNE_PARAMS))
    base = read_settings_file(config_file) if config_file is not None else {}
    game = game or base.get(GAME_KEY)
    if not game:
        raise SettingsError("--tune needs a game: give --game, or 'game: ...' in the --config file")
    base.pop(GAME_KEY, None)
    given = {k: v for k, v in settings.items() if v is not None}
    fixed = sorted(set(params) & set(given))
    if fixed:
        raise SettingsError(f"--{fixed[0].replace('_', '-')} is searched (--tune-params); do not also give it")
    base = {k: v for k, v in {**base, **given}.items() if k not in params}
    runs_dir = base.get("runs_dir", "runs")
    where = Path(study_dir) if study_dir else study_dir_for(resolve_game_id(game), runs_dir)
    study = Study(a3c.make_config, a3c.train, game, where, params, trial_seconds, base, preset, trial_seeds)
    try:
        study.run(trials)
    finally:
        print("\n" + study.table(), flush=True)
        best = study.write_best()
        if best is not None:
            how = f"python run.py --config {best}" + ("" if study.preset else NO_PRESET)
            print(f"best settings: {best} ({how})", flush=True)
        else:
            print("no trial finished", file=sys.stderr)
    return study
