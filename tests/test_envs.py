"""envs.resolve_game: what the user typed -> a checked game, or a clear GameError."""

import gymnasium as gym
import numpy as np
import pytest

from envs import GameError, make_vector_env, resolve_game


def test_cartpole():
    game = resolve_game("CartPole-v1")
    assert game.game_id == "CartPole-v1"
    assert game.action_space == gym.spaces.Discrete(2)
    assert game.obs_shape == (4,)
    assert game.reward_threshold == 475
    assert not game.is_atari


@pytest.mark.parametrize(
    "typed, suggestion",
    [
        ("CartPole-v9", "CartPole-v1"),
        ("cartpole-v1", "CartPole-v1"),  # case slip
        ("LunarLandr-v3", "LunarLander-v3"),
    ],
)
def test_unknown_id_suggests_close_matches(typed, suggestion):
    with pytest.raises(GameError) as info:
        resolve_game(typed)
    message = str(info.value)
    assert f"'{typed}'" in message
    assert suggestion in message
    assert "\n" not in message  # one line, as the CLI prints it


def test_hopeless_name_still_gets_a_clear_error():
    with pytest.raises(GameError, match="unknown game 'zzqqxx'"):
        resolve_game("zzqqxx")


def test_game_error_is_a_value_error():
    assert issubclass(GameError, ValueError)


def test_short_atari_name_resolves_to_ale_v5():
    game = resolve_game("SpaceInvaders")
    assert game.game_id == "ALE/SpaceInvaders-v5"
    assert game.is_atari
    assert game.action_space == gym.spaces.Discrete(6)


def test_full_atari_id_passes_through():
    assert resolve_game("ALE/SpaceInvaders-v5").game_id == "ALE/SpaceInvaders-v5"


@pytest.mark.parametrize("game_id", ["Pendulum-v1", "MountainCarContinuous-v0"])
def test_a_game_keeps_its_action_space_for_the_policy_distribution(game_id):
    # Which action spaces can be trained is the distributions' business (models.make_distribution, tested in
    # test_distributions.py; the command line's error in test_cli_errors.py), not the registry's.
    assert isinstance(resolve_game(game_id).action_space, gym.spaces.Box)


def test_vector_env_steps_all_environments_at_once():
    env = make_vector_env(resolve_game("CartPole-v1"), 3)
    try:
        obs, _ = env.reset(seed=0)
        assert obs.shape == (3, 4)
        obs, rewards, terminated, truncated, _ = env.step(np.array([0, 1, 0]))
        assert obs.shape == (3, 4) and rewards.shape == (3,)
    finally:
        env.close()
