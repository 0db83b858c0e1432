"""MasterAgent: owns the global model and shared optimizer, runs the workers, logs and stops the run."""

from __future__ import annotations

import math
import platform
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from envs import GameSpec, make_vector_env
from envs.normalize import Normalizer
from master_agent.backends import make_backend
from master_agent.checkpoint import all_finite, snapshot
from master_agent.config import RunConfig
from master_agent.episodes import CONFIRM_STANDARD_ERRORS, EpisodeTally, standard_error
from master_agent.evaluator import EvalResult, Evaluator
from master_agent.progress import Progress
from master_agent.resume import ResumePoint
from master_agent.schedules import Schedules
from master_agent.shared_optimizer import SharedOptimizer, StepCounter
from master_agent.stop_signals import StopSignals
from master_agent.tensorboard_log import TensorBoardLog
from models import ModelError, UnsupportedSpace, build_model, choose_network, make_distribution
from plots import draw_reward_curves
from rundir import (
    BEST_DIR,
    EPISODES_FILE,
    REWARDS_PNG,
    CheckpointError,
    EpisodeLog,
    EvalLog,
    append_error_log,
    create_run_dir,
    read_config,
    read_episodes,
    read_evals,
    save_checkpoint,
    save_model,
    update_latest_link,
    write_config,
)
from worker.thread import EpisodeResult, UpdateStats, WorkerAgent, WorkerFailure

PLOT_EVERY_S = 30.0
OBSERVE_EVERY_S = 1.0  # how often `MasterAgent.train`'s observer sees the run
# observe(seconds of training, global step, training window's mean or None) -> True to stop the run
Observer = Callable[[float, int, "float | None"], bool]
MAX_WORKER_RESTARTS = 3  # per run: a worker that keeps failing is a bug, not bad luck


@dataclass(frozen=True)
class TrainResult:
    solved: bool
    reason: str  # solved | max_steps | max_episodes | max_seconds | interrupted | worker_failed | stopped_by_caller
    episodes: int
    steps: int
    seconds: float
    best_average: float | None
    run_dir: Path
    exit_code: int
    best_evaluation: float | None = None  # the best evaluation mean during training (None: none ran)
    final_average: float | None = None  # the training window's mean when the run stopped (None: no episode)


def describe_sources(settings_from: dict[str, str]) -> str:
    """Where the settings came from, for the banner: 'preset presets/Pendulum-v1.yaml (gamma, lr); flags (seed)'."""
    by_source: dict[str, list[str]] = {}
    for name, source in settings_from.items():
        by_source.setdefault(source, []).append(name)
    parts = [f"{'flags' if source == 'flag' else source} ({', '.join(names)})" for source, names in by_source.items()]
    return "; ".join(parts + ["defaults for the rest"]) if parts else "defaults for the game's kind"


def configure_tensorflow_threads() -> None:
    """Workers, not TensorFlow's own pools, fill the cores: one intra- and one inter-op thread.

    Must run before TensorFlow executes its first op; later calls (a second run in one process) keep
    whatever was set first.
    """
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass


def package_versions() -> dict[str, str]:
    import ale_py
    import gymnasium

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "gymnasium": gymnasium.__version__,
        "ale_py": ale_py.__version__,
        "numpy": np.__version__,
    }


STOPPING_MESSAGE = "stopping: saving checkpoint and curves (press Ctrl-C again to quit at once)"


class MasterAgent:
    def __init__(self, config: RunConfig, game: GameSpec, resume: ResumePoint | None = None) -> None:
        self.config = config
        self.game = game
        self.resume = resume
        configure_tensorflow_threads()
        keras.utils.set_random_seed(config.seed)

        try:
            hp = config.hyperparams
            distribution = make_distribution(game.action_space, hp.log_std, hp.action_bounds)
        except UnsupportedSpace as exc:
            raise ModelError(f"'{game.game_id}' {exc}") from None
        self.network = choose_network(game.is_image, config.cnn_lstm)
        probe = make_vector_env(game, 1, recurrent=self.network == "cnn_lstm")
        self.obs_shape = tuple(probe.single_observation_space.shape)  # after preprocessing
        probe.close()
        # Observation / reward statistics shared by all workers (envs.normalize), merged under the optimizer's lock.
        self.normalizer = (
            Normalizer(self.obs_shape, hp.normalize_obs, hp.normalize_reward)
            if hp.normalize_obs or hp.normalize_reward
            else None
        )
        self.global_model = build_model(
            self.network, self.obs_shape, distribution, "global", hp.conv_activation, hp.layer_norm
        )
        # What checkpoints save as checkpoint/model.keras: a copy given each checkpoint's weights, so writing the
        # file needs no lock, and never catches the global model half-way through an update.
        self.saved_model = build_model(
            self.network, self.obs_shape, distribution, "global", hp.conv_activation, hp.layer_norm
        )
        self.optimizer = SharedOptimizer(self.global_model, config.learning_rate)
        if resume is not None:
            self._restore(resume)
        self.counter = StepCounter(resume.state["global_step"] if resume else 0)
        self.steps_at_start = self.counter.value
        self.schedules = Schedules.of(config)
        if self.schedules.lr_linear:  # set at each apply, under the lock, from the step count at that moment
            self.optimizer.lr_schedule = lambda: self.schedules.lr_at(self.counter.value)
        self.restarts = 0  # worker restarts this session, at most MAX_WORKER_RESTARTS
        self.results: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.evaluator = None  # greedy episodes every `eval_every` steps, on its own model and environments
        if config.eval_every:
            eval_model = build_model(
                self.network, self.obs_shape, distribution, "eval", hp.conv_activation, hp.layer_norm
            )
            self.evaluator = Evaluator(
                game, config.cnn_lstm, eval_model, self.obs_shape, config.eval_episodes, config.seed, self.results,
                self.stop, confirm_episodes=config.target_window,
                # all at once where an environment is cheap: one forward pass a step for the 100 (InvertedPendulum's
                # confirmations took ~30 s in batches of 10); image games' emulators are not, so theirs go 10 at a time
                confirm_batch=config.target_window if len(self.obs_shape) == 1 else None,
            )  # fmt: skip
        self.to_confirm: EvalResult | None = None  # an evaluation that reached the target, awaiting confirmation
        # Seeds move on with the step count, so a resumed run does not replay the episodes it already had.
        self.seed_base = config.seed * 10_000 + self.counter.value
        self.backend = make_backend(config, game, self.network, self.optimizer, self.normalizer)
        try:
            cores = self.backend.make_cores([self._worker_seed(i) for i in range(config.workers)])
            self.workers = [self._make_worker(i, core) for i, core in enumerate(cores)]
            if resume is not None:
                for worker, rng_state in zip(self.workers, resume.state.get("rng", [])):
                    if rng_state is not None:
                        worker.core.rng_state = rng_state
            # Created last: a failure above leaves no empty run directory behind.
            self.run_dir = resume.run_dir if resume else create_run_dir(config.runs_dir, game.game_id)
        except BaseException:
            self.backend.close()
            raise
        update_latest_link(self.run_dir)
        self.progress = Progress(config.max_steps, config.max_seconds, config.target_window)

    def _restore(self, resume: ResumePoint) -> None:
        model_shapes = [tuple(w.shape) for w in self.global_model.get_weights()]
        saved_shapes = [tuple(w.shape) for w in resume.weights]
        optimizer_shapes = [tuple(v.shape) for v in self.optimizer.optimizer.variables]
        if model_shapes != saved_shapes or optimizer_shapes != [tuple(v.shape) for v in resume.optimizer_state]:
            raise CheckpointError(
                f"checkpoint does not fit the {type(self.global_model).__name__} this run's config builds"
            )
        self.global_model.set_weights(resume.weights)
        for variable, value in zip(self.optimizer.optimizer.variables, resume.optimizer_state):
            variable.assign(value)
        saved = resume.state.get("normalizer")
        if self.normalizer is not None and saved is not None:
            try:
                self.normalizer.load_state(saved)
            except (KeyError, TypeError, ValueError) as exc:
                raise CheckpointError(f"checkpoint's normalization statistics do not fit this run: {exc}") from None

    def _normalization(self) -> dict | None:
        """The shared statistics as JSON (take it under the optimizer's lock, with the weights they go with)."""
        return self.normalizer.state() if self.normalizer is not None else None

    def _make_worker(self, worker_id: int, core) -> WorkerAgent:
        return WorkerAgent(
            worker_id, core, self.optimizer, self.counter, self.results, self.stop, normalizer=self.normalizer,
            entropy_schedule=self._entropy_schedule(),
        )  # fmt: skip

    def _entropy_schedule(self):
        return self.schedules.entropy_beta_at if self.schedules.entropy_linear else None

    def _worker_seed(self, worker_id: int) -> int:
        return self.seed_base + worker_id * self.config.hyperparams.envs_per_worker

    def _restart_worker(self, old: WorkerAgent) -> WorkerAgent:
        """Fresh environments (threads: same local model; Ray: a new actor), on a new thread.

        The restart itself runs on that thread (a new Ray actor takes seconds to start), so episodes of the
        other workers keep being logged meanwhile; if it fails, that is the worker's next failure.
        """
        old.join(timeout=10)
        seed = self._worker_seed(old.worker_id) + self.counter.value
        worker = WorkerAgent(
            old.worker_id,
            old.core,
            self.optimizer,
            self.counter,
            self.results,
            self.stop,
            setup=lambda: self.backend.restart(old.core, seed),
            normalizer=self.normalizer,
            entropy_schedule=self._entropy_schedule(),
        )
        worker.updates, worker.skipped_updates = old.updates, old.skipped_updates
        self.workers[old.worker_id] = worker
        worker.start()
        return worker

    def _write_config(self) -> None:
        settings = {
            "config": asdict(self.config),
            "game": self.game.record(),
            "network": type(self.global_model).__name__,
            "distribution": self.global_model.distribution.get_config(),  # what --eval rebuilds the policy from
            "observation_shape": list(self.obs_shape),
            "versions": package_versions(),
        }
        if self.resume is None:
            record = {**settings, "command": sys.argv, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        else:  # keep the original start; note each resume and the settings it ran with
            record = read_config(self.run_dir)
            record.setdefault("resumes", []).append(
                {
                    "command": sys.argv,
                    "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "global_step": self.counter.value,
                }
            )
            record.update(settings)
        write_config(self.run_dir, record)

    def banner(self) -> dict[str, str]:
        cfg, hp = self.config, self.config.hyperparams
        budgets = [
            f"{name} {value:,}"
            for name, value in (("steps", cfg.max_steps), ("episodes", cfg.max_episodes), ("seconds", cfg.max_seconds))
            if value
        ]
        lines = {
            "game": self.game.display_name,
            "network": f"{type(self.global_model).__name__}"
            + (f" ({hp.conv_activation}{', layer norm' * hp.layer_norm})" if self.global_model.convolutional else "")
            + f", observations {self.obs_shape}, "
            f"{self.optimizer.num_params:,} parameters",
            "workers": self.backend.describe(),
            "algorithm": f"lr {cfg.learning_rate:g}{' (linear to 0)' * self.schedules.lr_linear}, gamma {hp.gamma:g}, "
            f"t_max {hp.t_max}, entropy beta {hp.entropy_beta:g}"
            + (f" (linear to {hp.entropy_beta_final:g})" if self.schedules.entropy_linear else "")
            + f", value coef {hp.value_coef:g}, grad clip {hp.max_grad_norm:g}"
            + (f", GAE lambda {hp.gae_lambda:g}" if hp.gae_lambda != 1.0 else "")
            + (", rewards clipped for the loss" if hp.clip_rewards else "")
            + (", a lost life ends the return" if hp.terminal_on_life_loss else ""),
            "settings": describe_sources(cfg.settings_from),
            "policy": repr(self.global_model.distribution)
            + "".join(
                f", {what} normalized"
                for what, on in (("observations", hp.normalize_obs), ("rewards", hp.normalize_reward))
                if on
            ),
            "evaluates": (
                f"every {cfg.eval_every:,} steps: {cfg.eval_episodes} greedy episodes (eval.csv, best/)"
                if cfg.eval_every
                else "off (--eval-every N turns it on)"
            ),
            "stops at": (
                (
                    f"evaluation mean >= {cfg.target_reward:g}, confirmed over {cfg.target_window} more episodes"
                    if cfg.target_on == "eval"
                    else f"{cfg.target_window}-episode mean >= {cfg.target_reward:g}"
                )
                if cfg.target_reward is not None
                else "no reward target"
            )
            + (f"; budget: {', '.join(budgets)}" if budgets else "; no budget (Ctrl-C stops and saves)"),
            "seed": str(cfg.seed),
            "run directory": str(self.run_dir),
        }
        if self.resume is not None:
            lines["resumed"] = f"from step {self.resume.state['global_step']:,}, episode {self.resume.episodes:,}"
        return lines

    def train(self, observe: Observer | None = None) -> TrainResult:
        """Start the workers, consume their results until a stop rule fires, then stop them and save.

        `observe(seconds, global_step, average)`, called about once a second with the training window's mean
        (None before any episode), stops the run by returning True (a search pruning a trial)."""
        cfg, resume = self.config, self.resume
        self._write_config()
        self.progress.banner(self.banner())
        tensorboard = TensorBoardLog(self.run_dir)
        log = EpisodeLog(self.run_dir / EPISODES_FILE, append=resume is not None)
        tally = EpisodeTally(cfg, log, tensorboard)
        if resume is not None:
            tally.resume_from(
                resume.episodes, resume.recent_returns, resume.best_average, resume.best_evaluation, resume.best_kept
            )
        eval_log = EvalLog(self.run_dir, append=resume is not None) if self.evaluator else None
        seconds_before = float(resume.state.get("seconds", 0.0)) if resume else 0.0
        reason, failure, interrupt_code = None, None, 130

        with StopSignals() as signals:  # Ctrl-C / SIGTERM: a flag read below, see master_agent.stop_signals
            start = time.perf_counter()
            for w in self.workers:
                w.start()
            if self.evaluator is not None:
                self.evaluator.start()
            next_plot, next_checkpoint = start + PLOT_EVERY_S, start + cfg.checkpoint_every
            next_observe = start + OBSERVE_EVERY_S
            next_eval = self._next_evaluation(self.counter.value)
            try:
                while reason is None:
                    try:
                        item = self.results.get(timeout=0.1)
                    except queue.Empty:
                        item = None
                    now = time.perf_counter()
                    seconds = seconds_before + now - start
                    if isinstance(item, WorkerFailure) and not self._recover(item):
                        failure, reason = item, "worker_failed"
                    elif isinstance(item, EpisodeResult):
                        tally.add(item.worker, item.episode_return, item.length, item.global_step, seconds)
                    elif isinstance(item, UpdateStats):
                        rate = (self.counter.value - self.steps_at_start) / max(now - start, 1e-9)
                        tensorboard.update(
                            item.global_step, item.worker, item.stats, self.schedules.lr_at(item.global_step), rate,
                            self.schedules.entropy_beta_at(item.global_step),
                        )  # fmt: skip
                    elif isinstance(item, EvalResult):
                        self._record_evaluation(item, tally, eval_log, tensorboard)
                    if self.to_confirm is not None and self.evaluator.idle:
                        r, self.to_confirm = self.to_confirm, None
                        self.evaluator.submit(
                            r.weights, r.normalization, r.global_step, r.seconds, r.train_episodes, confirm=True
                        )
                    elif self.counter.value >= next_eval and self.evaluator.idle:
                        with self.optimizer.lock:  # weights from one update, never half of one
                            weights, normalization = self.global_model.get_weights(), self._normalization()
                        self.evaluator.submit(weights, normalization, self.counter.value, seconds, tally.episodes)
                        next_eval = self._next_evaluation(self.counter.value)
                    if reason is None and signals.code is not None:  # Ctrl-C / SIGTERM since the last pass
                        reason, interrupt_code = "interrupted", signals.code
                        print(STOPPING_MESSAGE, file=sys.stderr, flush=True)
                    reason = reason or tally.stop_reason(self.counter.value, seconds)
                    if observe is not None and now >= next_observe and reason is None:
                        if observe(seconds, self.counter.value, tally.average):
                            reason = "stopped_by_caller"
                        next_observe = now + OBSERVE_EVERY_S
                    self.progress.update(self.counter.value, tally.episodes, tally.average, tally.best_average, seconds)
                    if now >= next_plot:
                        self._draw_curves()
                        next_plot = time.perf_counter() + PLOT_EVERY_S
                    if now >= next_checkpoint:
                        self._save_checkpoint(tally.episodes, seconds)
                        next_checkpoint = time.perf_counter() + cfg.checkpoint_every
            except KeyboardInterrupt as stop_signal:  # raised by other code than the handlers (an observer)
                reason = "interrupted"
                interrupt_code = getattr(stop_signal, "exit_code", 130)
                signals.stopping(interrupt_code)
                print(STOPPING_MESSAGE, file=sys.stderr, flush=True)
            finally:
                seconds = self._stop_workers(tally, seconds_before + time.perf_counter() - start)
                log.close()
                if eval_log is not None:
                    eval_log.close()
                tensorboard.close()
                self.progress.update(self.counter.value, tally.episodes, tally.average, tally.best_average, seconds)
                self.progress.close()
                self._save_checkpoint(tally.episodes, seconds)
                self._draw_curves()
                self.backend.close()

        if failure is not None:
            print(
                f"error: worker {failure.worker}: {failure.error}; stopped, last good checkpoint and curves "
                f"saved in {self.run_dir}",
                file=sys.stderr,
            )
        solved = reason == "solved"
        episodes, steps, seconds = tally.solved_at if solved else (tally.episodes, self.counter.value, seconds)
        result = TrainResult(
            solved,
            reason,
            episodes,
            steps,
            seconds,
            tally.best_average,
            self.run_dir,
            exit_code={"interrupted": interrupt_code, "worker_failed": 1}.get(reason, 0),
            best_evaluation=tally.best_evaluation,
            final_average=tally.average,
        )
        self._print_summary(result)
        return result

    def _next_evaluation(self, steps: int) -> float:
        """The step count at which the next evaluation is due: the next multiple of eval_every (never, if off)."""
        every = self.config.eval_every
        return (steps // every + 1) * every if self.evaluator is not None else math.inf

    def _record_evaluation(
        self, result: EvalResult, tally: EpisodeTally, eval_log: EvalLog, tensorboard: TensorBoardLog
    ) -> None:
        """An evaluation's row in eval.csv and its TensorBoard points; its weights into best/ if they are the best
        so far; and the stop rule, where it is on the evaluation mean: an evaluation that reaches the target is
        confirmed on `target_window` fresh episodes (master_agent.evaluator), and the run is solved only if the
        confirmation's mean holds it too, less three standard errors (`episodes.confirmation_bound`). Such an evaluation
        is ranked for best/ by its confirmation's mean (`EpisodeTally.add_evaluation`), and weights that stop the run
        go there whatever they ranked."""
        if result.confirmation:
            held = tally.add_confirmation(result.scores, result.train_episodes, result.global_step, result.seconds)
            tensorboard.confirmation(result.global_step, result.mean)
            error = standard_error(result.scores)
            self.progress.note(
                f"evaluation at step {result.global_step:,} reached the target; {len(result.scores)} more greedy "
                f"episodes: mean {result.mean:.1f} +- {error:.1f} (standard error), "
                + (
                    "confirmed"
                    if held
                    else f"not clear of {self.config.target_reward:g} by "
                    f"{CONFIRM_STANDARD_ERRORS:g} standard errors, training goes on"
                )
            )
            if tally.keeps(result.mean) or held:
                self._save_best(result)
            return
        scores = result.scores
        eval_log.write(result.global_step, result.seconds, result.train_episodes, scores)
        tensorboard.evaluation(result.global_step, float(scores.mean()), float(scores.std()))
        self.progress.evaluation(result.mean)
        if tally.add_evaluation(result.mean):
            self._save_best(result)
        if tally.worth_confirming(result.mean):
            self.to_confirm = result

    def _save_best(self, result: EvalResult) -> None:
        """best/: the weights (checkpoint.npz, no optimizer state) and model.keras, each written atomically."""
        if not all_finite(result.weights):
            return
        state = {
            "global_step": result.global_step,
            "seconds": result.seconds,
            "episodes": result.train_episodes,
            "eval_mean": result.mean,
            "eval_scores": [float(x) for x in result.scores],
            "confirmed": result.confirmation,  # the scores are a confirmation's, on fresh seeds
            "seed": self.config.seed,
            "game": self.game.full_id,  # as config.game says it: `--resume` compares them
            "network": type(self.global_model).__name__,
            "normalizer": result.normalization,
        }
        save_checkpoint(self.run_dir, result.weights, [], state, folder=BEST_DIR)
        self.saved_model.set_weights(result.weights)
        save_model(self.run_dir, self.saved_model, folder=BEST_DIR)

    def _recover(self, failure: WorkerFailure) -> bool:
        """Log a worker's failure; restart the worker if it may be restarted (False: the run must stop)."""
        self._log_failure(failure)
        if not failure.recoverable or self.restarts >= MAX_WORKER_RESTARTS:
            return False
        self.restarts += 1
        print(
            f"warning: worker {failure.worker} failed ({failure.error}); restarting it with a fresh "
            f"environment ({self.restarts}/{MAX_WORKER_RESTARTS})",
            file=sys.stderr,
            flush=True,
        )
        self._restart_worker(self.workers[failure.worker])
        return True

    def _stop_workers(self, tally: EpisodeTally, seconds: float) -> float:
        """Stop and join the workers; episodes that finished meanwhile still happened, so they are counted.
        Returns the seconds of training."""
        self.stop.set()
        for w in self.workers:
            w.join(timeout=30)
        if self.evaluator is not None and self.evaluator.is_alive():
            self.evaluator.join(timeout=30)  # it leaves its game at the next step
        while True:
            try:
                item = self.results.get_nowait()
            except queue.Empty:
                return seconds
            if isinstance(item, EpisodeResult):
                tally.add(item.worker, item.episode_return, item.length, item.global_step, seconds)

    def _log_failure(self, failure: WorkerFailure) -> None:
        append_error_log(
            self.run_dir,
            f"--- worker {failure.worker} at step {self.counter.value}: {failure.error}\n{failure.traceback}\n",
        )

    @property
    def skipped_updates(self) -> int:
        return sum(w.skipped_updates for w in self.workers)

    def _save_checkpoint(self, episodes: int, seconds: float) -> None:
        with self.optimizer.lock:  # weights and Adam slots from the same update
            weights, optimizer_state = snapshot(self.global_model, self.optimizer.optimizer)
            updates = self.optimizer.updates
            normalization = self._normalization()
        if not all_finite(weights) or not all_finite(optimizer_state):
            print("error: the global weights are not finite; the last good checkpoint is kept", file=sys.stderr)
            return
        state = {
            "global_step": self.counter.value,
            "episodes": episodes,
            "seconds": seconds,
            "updates": updates,
            "skipped_updates": self.skipped_updates,
            "seed": self.config.seed,
            "game": self.game.full_id,  # as config.game says it: `--resume` compares them
            "network": type(self.global_model).__name__,
            "rng": [w.core.rng_state for w in self.workers],
            "normalizer": normalization,
        }
        save_checkpoint(self.run_dir, weights, optimizer_state, state)
        self.saved_model.set_weights(weights)
        save_model(self.run_dir, self.saved_model)

    def _draw_curves(self) -> None:
        episodes = read_episodes(self.run_dir)
        if len(episodes["episode"]):
            draw_reward_curves(
                [(self.game.game_id, episodes)],
                self.run_dir / REWARDS_PNG,
                window=self.config.target_window,
                target=self.config.target_reward,
                evaluations=[read_evals(self.run_dir)],
            )

    def _print_summary(self, r: TrainResult) -> None:
        best = f"{r.best_average:.1f}" if r.best_average is not None else "n/a"
        verdict = "solved" if r.solved else f"not solved ({r.reason.replace('_', ' ')})"
        skipped = f" | skipped {self.skipped_updates} non-finite updates" if self.skipped_updates else ""
        evaluated = f" | best eval {r.best_evaluation:.1f}" if r.best_evaluation is not None else ""
        print(
            f"{verdict}: {self.game.game_id} | episodes {r.episodes:,} | steps {r.steps:,} | "
            f"{r.seconds:.1f} s | best avg{self.config.target_window} {best}{evaluated}{skipped} | run {r.run_dir}",
            flush=True,
        )
