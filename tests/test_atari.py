"""Atari support: the CNN and CNN-LSTM networks, LSTM state carry/reset and replay, names, end-to-end runs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from conftest import EPISODES_HEADER, is_png, run_cli, run_dirs
from envs import GameError, resolve_game
from master_agent.shared_optimizer import SharedOptimizer
from models import Categorical, CNNActorCritic, CNNLSTMActorCritic, build_model
from worker import Hyperparams
from worker.core import WorkerCore


def test_factory_builds_the_image_network_asked_for():
    assert isinstance(build_model("cnn_lstm", (84, 84), Categorical(6)), CNNLSTMActorCritic)
    assert isinstance(build_model("cnn", (4, 84, 84), Categorical(6)), CNNActorCritic)


@pytest.mark.parametrize("shape", [(84, 84), (4, 84, 84)])
def test_image_model_output_shapes(shape):
    model = build_model("cnn_lstm" if len(shape) == 2 else "cnn", shape, Categorical(6))
    obs = np.random.default_rng(0).integers(0, 256, (3, *shape), dtype=np.uint8)
    logits, values, state = model.step(obs, model.initial_state(3))
    assert logits.shape == (3, 6) and values.shape == (3,)
    expected_state = [(3, 256), (3, 256)] if len(shape) == 2 else []  # LSTM (h, c); feed-forward: none
    assert [tuple(s.shape) for s in state] == expected_state


def test_lstm_state_is_carried_from_step_to_step():
    model = build_model("cnn_lstm", (84, 84), Categorical(4))
    frame = np.random.default_rng(1).integers(0, 256, (2, 84, 84), dtype=np.uint8)
    _, _, state = model.step(frame, model.initial_state(2))
    logits_fresh, _, _ = model.step(frame, model.initial_state(2))
    logits_carried, _, _ = model.step(frame, state)
    assert not np.allclose(logits_fresh, logits_carried, atol=1e-7), "the state made no difference"
    assert not np.allclose(state[0], 0.0)


def test_lstm_replay_matches_step_by_step_with_a_reset_in_the_middle():
    """The gradient's replay (unroll from the stored start state) must see what acting saw."""
    model = build_model("cnn_lstm", (84, 84), Categorical(4))
    rng = np.random.default_rng(2)
    steps, envs = 5, 2
    frames = rng.integers(0, 256, (steps, envs, 84, 84), dtype=np.uint8)
    starts = np.zeros((steps, envs), dtype=bool)
    starts[3, 1] = True  # env 1 begins a new episode at step 3
    state0 = tuple(rng.normal(size=(envs, 256)).astype(np.float32) for _ in range(2))

    state, step_logits, step_values = tuple(s.copy() for s in state0), [], []
    for t in range(steps):
        state = tuple(np.where(starts[t][:, None], 0.0, s).astype(np.float32) for s in state)
        logits, values, state = model.step(frames[t], state)
        state = tuple(s.numpy() for s in state)
        step_logits.append(logits.numpy())
        step_values.append(values.numpy())
    replay_logits, replay_values = model.unroll(frames.reshape(-1, 84, 84), state0, starts)
    np.testing.assert_allclose(replay_logits.numpy(), np.concatenate(step_logits), atol=1e-5)
    np.testing.assert_allclose(replay_values.numpy(), np.concatenate(step_values), atol=1e-5)

    no_reset, _ = model.unroll(frames.reshape(-1, 84, 84), state0, np.zeros_like(starts))
    assert not np.allclose(no_reset.numpy()[3 * envs + 1], replay_logits.numpy()[3 * envs + 1], atol=1e-7)


class ShortImageEnv(gym.Env):
    """84x84 frames, episodes of exactly 3 steps: lets a test see episode ends inside one rollout."""

    observation_space = gym.spaces.Box(0, 255, (84, 84), np.uint8)
    action_space = gym.spaces.Discrete(3)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.full((84, 84), 0, np.uint8), {}

    def step(self, action):
        self.t += 1
        return np.full((84, 84), 40 * self.t, np.uint8), 1.0, self.t == 3, False, {}


def test_worker_resets_lstm_state_at_episode_start_and_replays_what_it_acted_on():
    env = SyncVectorEnv([ShortImageEnv, ShortImageEnv], autoreset_mode=AutoresetMode.NEXT_STEP)
    global_model = build_model("cnn_lstm", (84, 84), Categorical(3), name="global")
    optimizer = SharedOptimizer(global_model, 1e-4)
    core = WorkerCore(
        build_model("cnn_lstm", (84, 84), Categorical(3), name="local"),
        optimizer.variables,
        env,
        Hyperparams(t_max=6, envs_per_worker=2),
        seed=0,
    )
    core.pull()
    seen_logits = []
    actor = core.actor

    def recording_actor(obs, state):
        logits, values, next_state = actor(obs, state)
        seen_logits.append(logits)
        return logits, values, next_state

    core.actor = recording_actor
    core.collect()  # the first rollout starts from the zero state
    seen_logits.clear()
    episodes, steps = core.collect()  # the second starts mid-episode, from a carried, non-zero state

    ro = core.rollout
    # The first rollout took steps 1, 2, 3, reset, 1, 2; this one takes 3 (terminal), reset (invalid),
    # then 1 (the observation after a reset step starts an episode: state zeroed), 2, 3 (terminal), reset.
    assert ro.valid[:, 0].tolist() == [True, False, True, True, True, False]
    assert ro.starts[:, 0].tolist() == [False, False, True, False, False, False]
    assert not np.allclose(ro.state0[0], 0.0)
    assert [e.episode_return for e in episodes] == [3.0, 3.0, 3.0, 3.0] and steps == 8
    logits, _ = core.model.unroll(ro.obs.reshape(-1, 84, 84), ro.state0, ro.starts)
    np.testing.assert_allclose(logits.numpy(), np.concatenate(seen_logits[: ro.t_max]), atol=1e-5)
    env.close()


@pytest.mark.parametrize(
    "name, game_id",
    [
        ("SpaceInvaders", "ALE/SpaceInvaders-v5"),
        ("Breakout", "ALE/Breakout-v5"),
        ("Pong", "ALE/Pong-v5"),
        ("ALE/Pong-v5", "ALE/Pong-v5"),
        ("SpaceInvadersNoFrameskip-v4", "SpaceInvadersNoFrameskip-v4"),
    ],
)
def test_atari_names_resolve(name, game_id):
    game = resolve_game(name)
    assert game.game_id == game_id and game.is_atari


def test_unknown_atari_name_suggests_close_matches():
    with pytest.raises(GameError, match="SpaceInvaders"):
        resolve_game("SpaceInvader")


def read_rows(run_dir):
    with (run_dir / "episodes.csv").open() as f:
        lines = f.read().splitlines()
    assert lines[0] == EPISODES_HEADER
    return [dict(zip(lines[0].split(","), map(float, line.split(",")))) for line in lines[1:]]


@pytest.mark.e2e
def test_space_invaders_cnn_lstm_run_writes_real_scores(tmp_path):
    runs = tmp_path / "runs"
    result = run_cli(
        [
            "--game",
            "SpaceInvaders",
            "--cnn-lstm",
            "--workers",
            "2",
            "--envs-per-worker",
            "2",
            "--max-episodes",
            "2",
            "--runs-dir",
            runs,
        ],
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(runs)
    rows = read_rows(run_dir)
    assert len(rows) >= 2
    # Real game scores: SpaceInvaders scores in multiples of 5 and a whole random game scores well over 5
    # (clipped rewards would sum to the number of kills instead).
    assert all(r["return"] % 5 == 0 for r in rows) and max(r["return"] for r in rows) > 5
    assert all(r["length"] > 100 for r in rows)  # whole games, all lives, not single lives
    import json

    config = json.loads((run_dir / "config.json").read_text())
    assert config["network"] == "CNNLSTMActorCritic" and config["observation_shape"] == [84, 84]
    # SpaceInvaders' preset: the network and rate it was measured with, not the Atari defaults
    assert config["config"]["learning_rate"] == 7e-4 and config["config"]["hyperparams"]["t_max"] == 20
    assert config["config"]["hyperparams"]["layer_norm"] is False
    assert config["config"]["hyperparams"]["clip_rewards"] is True
    assert is_png(run_dir / "rewards.png") and (run_dir / "checkpoint" / "checkpoint.npz").is_file()


@pytest.mark.e2e
def test_breakout_feed_forward_cnn_run(tmp_path):
    runs = tmp_path / "runs"
    flags = ["--workers", "1", "--envs-per-worker", "2", "--max-episodes", "2", "--conv-activation", "elu"]
    flags += ["--no-cnn-lstm"]  # Breakout's preset trains the CNN + LSTM
    result = run_cli(["--game", "Breakout", *flags, "--runs-dir", runs], cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(runs)
    rows = read_rows(run_dir)
    assert len(rows) >= 2 and all(r["length"] > 0 for r in rows)
    import json

    config = json.loads((run_dir / "config.json").read_text())
    assert config["network"] == "CNNActorCritic" and config["observation_shape"] == [4, 84, 84]
    assert config["config"]["hyperparams"]["conv_activation"] == "elu"
    assert config["config"]["hyperparams"]["layer_norm"] is True  # the default for image networks
    assert config["config"]["hyperparams"]["terminal_on_life_loss"] is True  # Atari's default; the vector env's lives
    import a3c

    model = a3c.load_agent(run_dir).model  # what --eval and --export rebuild
    assert model.activation == "elu" and model.layer_norm is True


def test_cnn_lstm_on_a_vector_game_is_a_usage_error(tmp_path):
    result = run_cli(["--game", "CartPole-v1", "--cnn-lstm", "--runs-dir", tmp_path / "runs"], cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "--cnn-lstm" in lines[0]
    assert not (tmp_path / "runs").exists()


class LivesImageEnv(ShortImageEnv):
    """A game of 3 lives that loses one every 2 steps (reward 1 a step): game over after 6 steps."""

    def reset(self, *, seed=None, options=None):
        obs, _ = super().reset(seed=seed)
        return obs, {"lives": 3}

    def step(self, action):
        self.t += 1
        lives = 3 - self.t // 2
        return np.full((84, 84), 40 * self.t, np.uint8), 1.0, lives == 0, False, {"lives": lives}


@pytest.mark.parametrize("terminal_on_life_loss", [False, True])
def test_a_lost_life_ends_the_return_only_when_asked_and_the_game_goes_on(terminal_on_life_loss):
    from worker.core import n_step_returns

    env = SyncVectorEnv([LivesImageEnv], autoreset_mode=AutoresetMode.NEXT_STEP)
    hp = Hyperparams(t_max=7, envs_per_worker=1, gamma=0.5, terminal_on_life_loss=terminal_on_life_loss)
    optimizer = SharedOptimizer(build_model("cnn_lstm", (84, 84), Categorical(3), name="global"), 1e-4)
    core = WorkerCore(build_model("cnn_lstm", (84, 84), Categorical(3), name="local"), optimizer.variables, env, hp, 0)
    episodes, steps = core.collect()  # steps 1-6 of the game (lives 3, 2, 2, 1, 1, 0), then a reset step

    ro = core.rollout
    assert [e.episode_return for e in episodes] == [6.0] and steps == 6  # the logged game is the whole game
    lost = [False, True, False, True, False, True, False] if terminal_on_life_loss else [False] * 5 + [True, False]
    assert ro.terminated[:, 0].tolist() == lost
    assert ro.starts[:, 0].tolist() == [True] + [False] * 6  # the LSTM state would carry on over a lost life
    returns = n_step_returns(ro.rewards, ro.terminated, ro.truncated, ro.final_values, np.zeros(1), hp.gamma)
    # With the cut: 1 + 0.5 * 1 at steps 1, 3 and 5 (a life ends at 2, 4 and 6); without: 1 + 0.5 + ... + 0.5^5.
    expected = 1.5 if terminal_on_life_loss else 1.96875
    assert returns.numpy()[0, 0] == pytest.approx(expected)
    env.close()
