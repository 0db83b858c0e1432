"""Play episodes with a saved run's network, on the same preprocessed environment it was trained on.

The global model is rebuilt with `models.build_model` from the observation shape training recorded and
given the checkpoint's weights (`model.get_weights()` order), behind an `evaluate.agent.Agent`. Actions are
sampled from the policy's distribution, as in training, or its mode is taken (`greedy`). A recurrent network's
LSTM state is carried from step to step and zeroed where an episode starts. Scores are the game's real score:
the environment here never clips rewards (that is done for the loss only).

`play` plays episodes one after another (`--eval`, which prints each and records the first); `play_batch`
plays one episode on each of several environments at once, one forward pass acting for all of them
(evaluation during training, where it must cost the workers little).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, TextIO

import gymnasium as gym
import numpy as np

import rundir
from envs import GameError, GameSpec, resolve_game
from envs import make_env as make_game_env
from evaluate.agent import Agent
from evaluate.recording import Recorder, open_recorder
from evaluate.run_files import EvalError, RunInfo

ATARI_RECORD_FPS = 15.0  # 60 Hz emulator frames / 4 frames per agent step: the game in real time


@dataclass(frozen=True)
class EpisodeScore:
    episode: int  # 1-based
    score: float
    length: int  # agent steps


class SavedPolicy(NamedTuple):
    weights: list[np.ndarray]
    global_step: int | None  # when they were saved
    normalization: dict | None  # the observation statistics they act on (`Normalizer.state()`), None: off


def read_weights(info: RunInfo) -> SavedPolicy:
    """The weights of the run's checkpoint (or of best/), the global step they were saved at and the normalization
    statistics saved with them; EvalError if they cannot be read.

    Read before any environment exists, so that a damaged file is reported before ale-py prints its banner.
    """
    try:
        checkpoint = rundir.read_checkpoint(info.run_dir, info.folder)
    except rundir.CheckpointError as exc:
        message = f"cannot read checkpoint '{exc.path}': {exc.detail}" if exc.problem == "damaged" else str(exc)
        raise EvalError(message) from None
    step = checkpoint.state.get("global_step")
    normalization = checkpoint.state.get("normalizer")
    return SavedPolicy(
        checkpoint.weights,
        int(step) if isinstance(step, (int, float)) else None,
        normalization if isinstance(normalization, dict) else None,
    )


def run_game(info: RunInfo) -> GameSpec:
    """The run's game, with the constructor arguments it trained with (a `module:id` game imports its module)."""
    try:
        return resolve_game(info.game_id, info.env_kwargs)
    except GameError as exc:
        raise EvalError(f"the run's game: {exc}") from None


def build_agent(info: RunInfo, game: GameSpec, saved: SavedPolicy) -> Agent:
    """The run's network, rebuilt from what config.json recorded, with the saved weights and normalization (frozen);
    EvalError if they do not fit."""
    from models import ModelError, UnsupportedSpace, build_model, make_distribution, network_of
    from models.distributions import distribution_from_config

    try:
        if info.distribution is not None:
            distribution = distribution_from_config(info.distribution)
        else:
            distribution = make_distribution(game.action_space)
        network = network_of(info.network, game.is_image, info.cnn_lstm)
        model = build_model(
            network, info.observation_shape, distribution, "global", info.conv_activation, info.layer_norm
        )
    except UnsupportedSpace as exc:
        raise EvalError(f"'{game.game_id}' {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:  # a config.json distribution this version cannot rebuild
        raise EvalError(
            f"'{info.run_dir}/config.json' has a policy distribution that cannot be rebuilt: {exc!r}"
        ) from None
    except ModelError as exc:
        raise EvalError(str(exc)) from None
    weights = saved.weights
    expected = [tuple(w.shape) for w in model.get_weights()]
    if [tuple(np.shape(w)) for w in weights] != expected:
        raise EvalError(
            f"checkpoint '{info.checkpoint}' does not fit the {type(model).__name__} for "
            f"{info.game_id} with observations {info.observation_shape} ({len(weights)} arrays, "
            f"{len(expected)} expected, or their shapes differ)"
        )
    agent = Agent(model, info.observation_shape)
    try:
        agent.set_weights(weights, saved.normalization)
    except (KeyError, TypeError, ValueError) as exc:
        raise EvalError(f"checkpoint '{info.checkpoint}' has normalization statistics that do not fit: {exc}") from None
    return agent


def make_env(game: GameSpec, cnn_lstm: bool, render: bool = False) -> tuple[gym.Env, float]:
    """One environment as training saw it, with the real (unclipped) score: (env, frames per second recorded)."""
    render_mode = "rgb_array" if render else None
    if render:
        modes = game.render_modes()
        if render_mode not in modes:  # a game that trains need not draw itself (a user's own environment)
            raise EvalError(
                f"cannot record '{game.full_id}': it draws no pictures (render modes: {', '.join(modes) or 'none'})"
            )
        # pygame draws the classic-control games: no window, no sound device, no greeting on stdout.
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    env = make_game_env(game, recurrent=cnn_lstm, render_mode=render_mode)
    if game.is_atari:
        return env, ATARI_RECORD_FPS
    return env, float(env.metadata.get("render_fps") or 30)


def make_run_env(info: RunInfo, game: GameSpec, render: bool = False) -> tuple[gym.Env, float]:
    """`make_env` for a saved run, checked against the observation shape the run was trained on."""
    env, fps = make_env(game, info.cnn_lstm, render)
    shape = tuple(env.observation_space.shape)
    if shape != tuple(info.observation_shape):
        env.close()
        raise EvalError(
            f"the run was trained on observations of shape {tuple(info.observation_shape)}; "
            f"{game.display_name} gives {shape} here"
        )
    return env, fps


def play(
    agent: Agent,
    env: gym.Env,
    episodes: int,
    greedy: bool,
    seed: int,
    recorder: Recorder | None = None,
    on_episode: Callable[[EpisodeScore], None] | None = None,
) -> list[EpisodeScore]:
    """Play `episodes` whole episodes one after another; the first one is recorded (up to the recorder's cap)."""
    rng = np.random.default_rng(seed)
    scores = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed if i == 0 else None)  # one seed makes the whole evaluation repeatable
        state = None  # an episode starts: zero LSTM state
        recording = recorder is not None and i == 0
        if recording:
            recorder.offer(lambda: _frame(env))
        score, length, done = 0.0, 0, False
        while not done:
            action, state = agent.act(obs, state, greedy, rng)
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


def play_batch(
    agent: Agent, envs: Sequence[gym.Env], seeds: Sequence[int], stopped: Callable[[], bool] = lambda: False
) -> np.ndarray | None:
    """One greedy episode on each env (reset with its seed), all stepped together; their scores, or None if
    `stopped()` turned true first. Finished games drop out of the batch."""
    obs = [env.reset(seed=seed)[0] for env, seed in zip(envs, seeds)]
    scores = np.zeros(len(envs))
    playing = list(range(len(envs)))
    state = agent.initial_state(len(envs))
    while playing:
        if stopped():
            return None
        actions, state = agent.act_batch(np.stack([obs[i] for i in playing]), state, greedy=True)
        still = []
        for row, (i, action) in enumerate(zip(playing, actions)):
            obs[i], reward, terminated, truncated, _ = envs[i].step(action)
            scores[i] += float(reward)
            if not (terminated or truncated):
                still.append(row)
        if len(still) < len(playing):  # keep the state rows of the games still going
            state = tuple(part[still] for part in state)
            playing = [playing[row] for row in still]
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
    saved = read_weights(info)
    game = run_game(info)
    env, fps = make_run_env(info, game, render=record is not None)
    recorder = open_recorder(record, fps, every=record_every, scale=record_scale) if record is not None else None
    try:
        agent = build_agent(info, game, saved)
        global_step = saved.global_step
        how = "greedy actions" if greedy else "sampled actions"
        which = "best weights" if info.folder == rundir.BEST_DIR else "checkpoint"
        step = f", {which} at step {global_step:,}" if global_step is not None else ""
        print(
            f"evaluating {info.run_dir.name} ({info.game_id}, {type(agent.model).__name__}{step}): "
            f"{episodes} episode{'s' * (episodes != 1)}, {how}, seed {seed}",
            file=stream,
            flush=True,
        )
        width = len(str(episodes))

        def report(ep: EpisodeScore) -> None:
            print(f"episode {ep.episode:>{width}}: score {ep.score:g} ({ep.length:,} steps)", file=stream, flush=True)

        scores = play(agent, env, episodes, greedy, seed, recorder, on_episode=report)
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
