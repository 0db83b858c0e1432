"""Play episodes with a saved run's network, on the same preprocessed environment it was trained on.

The global model is rebuilt with `models.build_model` from the observation shape training recorded and
given the checkpoint's weights (`model.get_weights()` order). Actions are sampled from the policy's
distribution, as in training, or its mode is taken (`greedy`). A recurrent network's LSTM state is carried from
step to step (`model.step`) and zeroed where an episode starts. Scores are the game's real score: the
environment here never clips rewards (that is done for the loss only).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import gymnasium as gym
import numpy as np

import rundir
from envs import GameError, GameSpec, resolve_game
from envs.atari import FRAME_STACK, make_atari_env
from evaluate.recording import Recorder, open_recorder
from evaluate.run_files import EvalError, RunInfo

ATARI_RECORD_FPS = 15.0  # 60 Hz emulator frames / 4 frames per agent step: the game in real time


@dataclass(frozen=True)
class EpisodeScore:
    episode: int  # 1-based
    score: float
    length: int  # agent steps


def read_checkpoint(info: RunInfo) -> tuple[list[np.ndarray], int | None]:
    """The checkpoint's model weights and the global step it was saved at; EvalError if it cannot be read.

    Read before any environment exists, so that a damaged file is reported before ale-py prints its banner.
    """
    try:
        checkpoint = rundir.read_checkpoint(info.run_dir)
    except rundir.CheckpointError as exc:
        message = f"cannot read checkpoint '{exc.path}': {exc.detail}" if exc.problem == "damaged" else str(exc)
        raise EvalError(message) from None
    step = checkpoint.state.get("global_step")
    return checkpoint.weights, int(step) if isinstance(step, (int, float)) else None


class Policy:
    """The run's network with its trained weights, acting on one observation at a time through its
    distribution: a sampled action, as in training, or the distribution's mode (`greedy`)."""

    def __init__(self, info: RunInfo, game: GameSpec, weights: list[np.ndarray], global_step: int | None = None):
        import tensorflow as tf

        from models import ModelError, UnsupportedSpace, build_model, make_actor, make_distribution, network_of

        try:
            self.distribution = make_distribution(game.action_space)
            network = network_of(info.network, game.is_atari, info.cnn_lstm)
            self.model = build_model(network, info.observation_shape, self.distribution, name="global")
        except UnsupportedSpace as exc:
            raise EvalError(f"'{game.game_id}' {exc}") from None
        except ModelError as exc:
            raise EvalError(str(exc)) from None
        expected = [tuple(w.shape) for w in self.model.get_weights()]
        if [tuple(np.shape(w)) for w in weights] != expected:
            raise EvalError(
                f"checkpoint '{info.checkpoint}' does not fit the {type(self.model).__name__} for "
                f"{info.game_id} with observations {info.observation_shape} ({len(weights)} arrays, "
                f"{len(expected)} expected, or their shapes differ)"
            )
        self.model.set_weights(weights)
        self.global_step = global_step
        self.obs_dtype = np.uint8 if len(info.observation_shape) > 1 else np.float32
        spec = tf.TensorSpec([None, *info.observation_shape], tf.as_dtype(self.obs_dtype))
        self._actor = make_actor(self.model, spec)  # NumPy for the MLP, one traced graph for the CNNs
        self.state = ()

    def reset(self) -> None:
        """A new episode: the LSTM starts from zeros (feed-forward networks have no state)."""
        self.state = self.model.initial_state(1)

    def params(self, obs: np.ndarray) -> np.ndarray:
        """The policy's distribution parameters for `obs` ([1, P]); carries a recurrent state on."""
        batch = np.asarray(obs, dtype=self.obs_dtype)[None]
        params, _, self.state = self._actor(batch, self.state)
        return np.asarray(params)

    def act(self, obs: np.ndarray, greedy: bool, rng: np.random.Generator):
        params = self.params(obs)
        actions = self.distribution.mode_numpy(params) if greedy else self.distribution.sample_numpy(params, rng)
        return actions[0]


def make_env(info: RunInfo, render: bool) -> tuple[gym.Env, GameSpec, float]:
    """The environment as training saw it, one copy: (env, the game, frames per second when recorded)."""
    try:
        game = resolve_game(info.game_id)
    except GameError as exc:
        raise EvalError(f"the run's game: {exc}") from None
    render_mode = "rgb_array" if render else None
    if render:
        # pygame draws the classic-control games: no window, no sound device, no greeting on stdout.
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    if game.is_atari:
        env = make_atari_env(game.game_id, 1 if info.cnn_lstm else FRAME_STACK, render_mode=render_mode)
        fps = ATARI_RECORD_FPS
    else:
        env = gym.make(game.game_id, render_mode=render_mode)
        fps = float(env.metadata.get("render_fps") or 30)
    shape = tuple(env.observation_space.shape)
    if shape != tuple(info.observation_shape):
        env.close()
        raise EvalError(
            f"the run was trained on observations of shape {tuple(info.observation_shape)}; "
            f"{game.game_id} gives {shape} here"
        )
    return env, game, fps


def play(
    policy: Policy,
    env: gym.Env,
    episodes: int,
    greedy: bool,
    seed: int,
    recorder: Recorder | None = None,
    on_episode: Callable[[EpisodeScore], None] | None = None,
) -> list[EpisodeScore]:
    """Play `episodes` whole episodes; the first one is recorded (up to the recorder's frame cap)."""
    rng = np.random.default_rng(seed)
    scores = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed if i == 0 else None)  # one seed makes the whole evaluation repeatable
        policy.reset()
        recording = recorder is not None and i == 0
        if recording:
            recorder.offer(lambda: _frame(env))
        score, length, done = 0.0, 0, False
        while not done:
            action = policy.act(obs, greedy, rng)
            obs, reward, terminated, truncated, _ = env.step(action)
            score += float(reward)
            length += 1
            done = terminated or truncated
            if recording:
                recorder.offer(lambda: _frame(env))
        result = EpisodeScore(i + 1, score, length)
        scores.append(result)
        if on_episode is not None:
            on_episode(result)
    return scores


def _frame(env: gym.Env) -> np.ndarray:
    try:
        frame = env.render()
    except gym.error.DependencyNotInstalled as exc:
        raise EvalError(f"cannot render {env.spec.id if env.spec else 'the game'}: {exc}") from None
    if frame is None or np.ndim(frame) != 3:
        raise EvalError("the environment gave no RGB frame to record")
    return frame


def evaluate_run(
    info: RunInfo,
    episodes: int,
    greedy: bool,
    seed: int,
    record: Path | None = None,
    record_every: int = 1,
    record_scale: float = 1.0,
    stream: TextIO = sys.stdout,
) -> list[EpisodeScore]:
    """What `run.py --eval` does: print each episode's score as it ends, then mean and spread; record episode 1."""
    weights, global_step = read_checkpoint(info)
    env, game, fps = make_env(info, render=record is not None)
    recorder = open_recorder(record, fps, every=record_every, scale=record_scale) if record is not None else None
    try:
        policy = Policy(info, game, weights, global_step)
        how = "greedy actions" if greedy else "sampled actions"
        step = f", checkpoint at step {policy.global_step:,}" if policy.global_step is not None else ""
        print(
            f"evaluating {info.run_dir.name} ({info.game_id}, {type(policy.model).__name__}{step}): "
            f"{episodes} episode{'s' * (episodes != 1)}, {how}, seed {seed}",
            file=stream,
            flush=True,
        )
        width = len(str(episodes))

        def report(ep: EpisodeScore) -> None:
            print(f"episode {ep.episode:>{width}}: score {ep.score:g} ({ep.length:,} steps)", file=stream, flush=True)

        scores = play(policy, env, episodes, greedy, seed, recorder, on_episode=report)
        values = np.array([s.score for s in scores])
        print(
            f"mean score {values.mean():.1f} | std {values.std():.1f} | min {values.min():g} | "
            f"max {values.max():g} | {len(values)} episode{'s' * (len(values) != 1)}",
            file=stream,
            flush=True,
        )
        if recorder is not None:
            done, recorder = recorder, None
            done.close()
            print(f"wrote {done.path}: {describe_recording(done, scores[0])}", file=stream, flush=True)
        return scores
    finally:
        if recorder is not None:
            recorder.abort()
        env.close()


def describe_recording(recorder: Recorder, first: EpisodeScore) -> str:
    kept = f"{recorder.frames:,} frames at {recorder.fps:g} fps"
    if recorder.every > 1:
        kept += f", 1 frame in {recorder.every}"
    if recorder.capped:
        return (
            f"the start of episode 1 ({first.length:,} steps), {kept}: a recording keeps at most "
            f"{recorder.max_frames:,} frames"
        )
    return f"episode 1 ({first.length:,} steps), {kept}"
