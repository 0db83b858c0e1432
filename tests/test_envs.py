"""envs.resolve_game: what the user typed -> a checked game, or a clear GameError; envs.make_env: what each
observation space becomes for the networks."""

import gymnasium as gym
import numpy as np
import pytest

from envs import GameError, make_env, make_vector_env, resolve_game


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


# --- observation spaces: what each becomes for the networks (envs.observations) -------------------------------------


def first_observation(game, recurrent: bool = False) -> np.ndarray:
    env = make_env(game, recurrent)
    try:
        obs, _ = env.reset(seed=0)
        assert obs in env.observation_space
        return obs
    finally:
        env.close()


def test_a_discrete_observation_becomes_one_hot():
    game = resolve_game("FrozenLake-v1")  # the agent's cell of 4x4, Discrete(16)
    assert game.obs_shape == (16,) and not game.is_image
    obs = first_observation(game)
    assert obs.dtype == np.float32 and obs.tolist() == [1.0] + [0.0] * 15  # the start cell


def test_a_tuple_observation_is_flattened():
    game = resolve_game("Blackjack-v1")  # Tuple(Discrete(32), Discrete(11), Discrete(2)): three one-hots
    assert game.obs_shape == (32 + 11 + 2,)
    obs = first_observation(game)
    assert obs.dtype == np.float32 and obs.sum() == 3 and set(obs.tolist()) == {0.0, 1.0}


def echo(space: gym.Space):
    """tests.custom_envs' Echo-v0, whose observations are samples of `space`."""
    return resolve_game("tests.custom_envs:Echo-v0", {"observation_space": space})


def test_dict_multibinary_multidiscrete_and_box_observations_are_flattened_together():
    space = gym.spaces.Dict(
        {
            "cell": gym.spaces.Discrete(4),  # one-hot: 4
            "walls": gym.spaces.MultiBinary(2),  # 0/1: 2
            "dice": gym.spaces.MultiDiscrete([2, 3]),  # one-hot each: 5
            "grid": gym.spaces.Box(-1.0, 1.0, (2, 2)),  # flattened: 4
        }
    )
    game = echo(space)
    assert game.obs_shape == (15,) and not game.is_image
    obs = first_observation(game)
    raw = gym.make("tests.custom_envs:Echo-v0", observation_space=space)
    assert obs.dtype == np.float32
    np.testing.assert_array_equal(obs, gym.spaces.flatten(space, raw.reset(seed=0)[0]))  # the same sample, flat


@pytest.mark.parametrize(
    "space, shape",
    [
        (gym.spaces.MultiBinary(5), (5,)),
        (gym.spaces.MultiDiscrete([3, 2]), (5,)),
        (gym.spaces.Box(0, 10, (3,), np.int64), (3,)),  # integers become float32 too
        (gym.spaces.Box(-1.0, 1.0, (2, 3, 4)), (24,)),  # a Box of rank 3 that is no image
    ],
)
def test_other_spaces_become_float32_vectors(space, shape):
    game = echo(space)
    assert game.obs_shape == shape
    assert first_observation(game).dtype == np.float32


def test_car_racing_frames_are_preprocessed_for_the_cnn():
    game = resolve_game("CarRacing-v3")  # 96x96 RGB
    assert game.is_image and not game.is_atari
    assert game.obs_shape == (4, 84, 84) and game.observation_shape(recurrent=True) == (84, 84)
    stacked = first_observation(game)
    assert stacked.shape == (4, 84, 84) and stacked.dtype == np.uint8
    single = first_observation(game, recurrent=True)  # --cnn-lstm: one frame a step
    assert single.shape == (84, 84) and single.dtype == np.uint8


@pytest.mark.parametrize(
    "space, words",
    [
        (gym.spaces.Text(8), "has Text observations"),
        (gym.spaces.Dict({"pixels": gym.spaces.Box(0, 255, (32, 32, 3), np.uint8)}), "whose ['pixels'] is image"),
        (gym.spaces.Tuple((gym.spaces.Discrete(2), gym.spaces.Sequence(gym.spaces.Discrete(2)))), "[1] is Sequence"),
        (gym.spaces.Box(0, 255, (32, 32, 4), np.uint8), "3 (RGB) channels"),
    ],
)
def test_observations_no_network_takes_get_one_line(space, words):
    with pytest.raises(GameError) as info:
        echo(space)
    message = str(info.value)
    assert message.startswith("'tests.custom_envs:Echo-v0' has ") and words in message
    assert "\n" not in message


def test_a_game_spec_is_hashable_and_picklable():
    import pickle

    game = resolve_game("tests.custom_envs:Corridor-v0", {"length": 4})
    assert hash(game) == hash(resolve_game("tests.custom_envs:Corridor-v0", {"length": 4}))
    copy = pickle.loads(pickle.dumps(game))  # as a Ray actor receives it
    assert copy == game and copy.full_id == "tests.custom_envs:Corridor-v0" and copy.env_kwargs == {"length": 4}


def test_kwargs_reach_the_numpy_vector_env():
    game = resolve_game("CartPole-v1", {"max_episode_steps": 3})
    env = make_vector_env(game, 2)
    try:
        assert type(env).__name__ == "CartPoleVectorEnv"  # the one-call fast path is kept
        env.reset(seed=0)
        for _ in range(3):
            _, _, terminated, truncated, _ = env.step(np.array([0, 1]))
        assert truncated.all() and not terminated.any()  # cut at 3 steps, as the kwargs say
    finally:
        env.close()


def test_other_games_step_their_wrapped_envs_side_by_side():
    env = make_vector_env(resolve_game("FrozenLake-v1"), 3)
    try:
        obs, _ = env.reset(seed=0)
        assert obs.shape == (3, 16) and obs.dtype == np.float32
    finally:
        env.close()


# --- optional extras --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "game_id, package, gymnasium_module, extra",
    [
        ("LunarLander-v3", "Box2D", "gymnasium.envs.box2d", "Box2D"),
        ("HalfCheetah-v5", "mujoco", "gymnasium.envs.mujoco", "MuJoCo"),
    ],
)
def test_a_missing_extra_says_how_to_install_it(monkeypatch, game_id, package, gymnasium_module, extra):
    import sys

    # As if the package were not installed: its import fails, and gymnasium's modules that import it load anew.
    for name in [m for m in sys.modules if m.startswith((gymnasium_module, package + "."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, package, None)
    with pytest.raises(GameError) as info:
        resolve_game(game_id)
    assert str(info.value) == (
        f"'{game_id}' needs {extra}, which is not installed: pip install -r requirements-control.txt"
    )


def test_atari_kwargs_reach_ale_py_and_ram_observations_make_a_vector_game():
    pytest.importorskip("ale_py")
    ram = resolve_game("Pong", {"obs_type": "ram"})  # 128 bytes of the console's memory
    assert not ram.is_atari and not ram.is_image and ram.obs_shape == (128,)
    assert first_observation(ram).dtype == np.float32
    with pytest.raises(GameError, match="frameskip is the Atari preprocessing's"):
        resolve_game("Pong", {"frameskip": 2})
