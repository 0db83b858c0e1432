"""Training's Atari environments (ale-py's C++ `AtariVectorEnv`) against the gymnasium wrappers that evaluation,
`--eval` and `--record` play (`AtariPreprocessing`): what they must agree on, frame for frame."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import envs.atari
from envs import make_vector_env, resolve_game
from envs.make import make_env

# Without random no-ops and sticky actions both are deterministic, so a scripted game can be compared exactly.
DETERMINISTIC = {"repeat_action_probability": 0.0}


@pytest.fixture
def no_noops(monkeypatch):
    monkeypatch.setattr(envs.atari, "NOOP_MAX", 0)


@pytest.mark.parametrize("recurrent", [True, False])
def test_vector_env_is_ale_pys_with_the_wrappers_shapes(recurrent):
    game = resolve_game("Pong")
    vector = make_vector_env(game, 3, recurrent=recurrent)
    single = make_env(game, recurrent)
    try:
        assert "AtariVectorEnv" in repr(vector.unwrapped)
        assert vector.single_observation_space == single.observation_space
        assert vector.single_action_space == single.action_space
        assert tuple(single.observation_space.shape) == game.observation_shape(recurrent)
        obs, _ = vector.reset(seed=0)
        assert obs.shape == (3, *single.observation_space.shape) and obs.dtype == np.uint8
        assert vector.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    finally:
        vector.close()
        single.close()


@pytest.mark.parametrize(("name", "recurrent"), [("Breakout", False), ("SpaceInvaders", True)])
def test_a_scripted_game_plays_out_the_same_frame_for_frame(no_noops, name, recurrent):
    """Same actions -> same frames, real (unclipped) rewards, the same last step; then both begin a new game."""
    game = resolve_game(name, DETERMINISTIC)
    vector = make_vector_env(game, 1, recurrent=recurrent)
    single = SyncVectorEnv([lambda: make_env(game, recurrent)], autoreset_mode=AutoresetMode.NEXT_STEP)
    try:
        obs_v, _ = vector.reset(seed=0)
        obs_s, _ = single.reset(seed=0)
        np.testing.assert_array_equal(obs_v, obs_s)
        rng = np.random.default_rng(0)
        score_v = score_s = 0.0
        rewards_seen = set()
        for step in range(5_000):
            action = rng.integers(game.action_space.n, size=1)
            obs_v, reward_v, term_v, trunc_v, _ = vector.step(action)
            obs_s, reward_s, term_s, trunc_s, _ = single.step(action)
            np.testing.assert_array_equal(obs_v, obs_s, err_msg=f"frame {step}")
            assert (reward_v[0], term_v[0], trunc_v[0]) == (reward_s[0], term_s[0], trunc_s[0]), step
            score_v, score_s = score_v + float(reward_v[0]), score_s + float(reward_s[0])
            rewards_seen.add(float(reward_v[0]))
            if term_v[0]:
                break
        else:
            pytest.fail("the scripted game did not end")
        assert score_v == score_s > 0
        if name == "SpaceInvaders":
            assert max(rewards_seen) > 1, "rewards were clipped; the logged score must be the game's"
        # NEXT_STEP: the step after the end is a reset step, reward 0, and both show the new game's first frame.
        obs_v, reward_v, term_v, _, _ = vector.step(np.zeros(1, np.int64))
        obs_s, reward_s, term_s, _, _ = single.step(np.zeros(1, np.int64))
        np.testing.assert_array_equal(obs_v, obs_s)
        assert reward_v[0] == reward_s[0] == 0 and not term_v[0] and not term_s[0]
    finally:
        vector.close()
        single.close()


def test_a_new_game_starts_with_zeros_in_the_older_frames(no_noops):
    game = resolve_game("Breakout", DETERMINISTIC)
    vector = make_vector_env(game, 1)
    try:
        obs, _ = vector.reset(seed=0)
        assert not obs[0, :3].any() and obs[0, 3].any()
    finally:
        vector.close()


def test_no_ops_and_sticky_actions_are_random_per_environment():
    """With v5's defaults (up to 30 no-ops, sticky actions 0.25) environments seeded apart play apart."""
    vector = make_vector_env(resolve_game("Pong"), 2, recurrent=True)
    try:
        vector.reset(seed=7)
        frames = [vector.step(np.full(2, 2, np.int64))[0] for _ in range(60)]
        assert any(not np.array_equal(f[0], f[1]) for f in frames)
    finally:
        vector.close()


def test_arguments_the_vector_env_does_not_take_fall_back_to_the_wrappers():
    sticky = make_vector_env(resolve_game("Pong", {"repeat_action_probability": 0.0}), 2, recurrent=True)
    mode = make_vector_env(resolve_game("Pong", {"mode": 1}), 2, recurrent=True)
    try:
        assert "AtariVectorEnv" in repr(sticky.unwrapped)
        assert isinstance(mode, SyncVectorEnv)
        assert mode.single_observation_space == sticky.single_observation_space
    finally:
        sticky.close()
        mode.close()
