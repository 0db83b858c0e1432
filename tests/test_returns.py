"""worker.core.n_step_returns: R_t = r_t + gamma * R_{t+1} over a [T, E] rollout, gymnasium's end-of-episode rules."""

import numpy as np
import pytest

from worker.core import n_step_returns

GAMMA = 0.9


def test_terminated_truncated_and_cut_rollouts_in_one_batch():
    # T = 3 steps, E = 5 environments side by side. last_values = V(obs the rollout was cut at).
    rewards = np.array(
        [
            [1.0, 1.0, 1.0, 1.0, 1.0],
            [2.0, 2.0, 2.0, 1.0, 1.0],
            [0.5, 0.5, 3.0, 1.0, 1.0],
        ],
        dtype=np.float32,
    )
    terminated = np.zeros((3, 5), dtype=bool)
    truncated = np.zeros((3, 5), dtype=bool)
    # Noise everywhere: final_values may only be read where an episode was truncated.
    final_values = np.full((3, 5), 99.0, dtype=np.float32)
    last_values = np.array([10.0, 10.0, 10.0, 100.0, 100.0], dtype=np.float32)

    terminated[1, 0] = True  # env 0: terminated at t=1 -> bootstrap 0 there
    truncated[1, 1] = True  # env 1: time limit at t=1 -> bootstrap V(final obs) = 5
    final_values[1, 1] = 5.0
    # env 2: no episode end -> cut at t_max, bootstrap last_values = 10
    truncated[2, 3] = True  # env 3: time limit on the last step -> V(final obs) = 4, not last_values
    final_values[2, 3] = 4.0
    terminated[2, 4] = True  # env 4: terminated on the last step -> 0, not last_values

    rewards_before = rewards.copy()
    returns = n_step_returns(rewards, terminated, truncated, final_values, last_values, GAMMA)

    expected = np.array(
        [
            # env 0              env 1                 env 2                   env 3                   env 4
            [1 + 0.9 * 2.0, 1 + 0.9 * 6.5, 1 + 0.9 * 12.8, 1 + 0.9 * 5.14, 1 + 0.9 * 1.9],
            [2 + 0.9 * 0.0, 2 + 0.9 * 5.0, 2 + 0.9 * 12.0, 1 + 0.9 * 4.6, 1 + 0.9 * 1.0],
            [0.5 + 0.9 * 10, 0.5 + 0.9 * 10, 3 + 0.9 * 10.0, 1 + 0.9 * 4.0, 1 + 0.9 * 0.0],
        ]
    )
    # Written out: env 0 -> [2.8, 2.0, 9.5]; env 1 -> [6.85, 6.5, 9.5]; env 2 -> [12.52, 12.8, 12.0];
    # env 3 -> [5.626, 5.14, 4.6]; env 4 -> [2.71, 1.9, 1.0].
    np.testing.assert_allclose(expected[:, 0], [2.8, 2.0, 9.5])
    np.testing.assert_allclose(expected[:, 1], [6.85, 6.5, 9.5])
    np.testing.assert_allclose(expected[:, 2], [12.52, 12.8, 12.0])
    np.testing.assert_allclose(expected[:, 3], [5.626, 5.14, 4.6])
    np.testing.assert_allclose(expected[:, 4], [2.71, 1.9, 1.0])

    assert returns.shape == (3, 5)
    np.testing.assert_allclose(returns, expected, rtol=1e-6)
    np.testing.assert_array_equal(rewards, rewards_before)  # rewards are never rewritten


def test_terminated_wins_over_truncated_on_the_same_step():
    # gymnasium may report both; a terminal state has no future, whatever the time limit says.
    rewards = np.array([[1.0], [1.0]], dtype=np.float32)
    terminated = np.array([[False], [True]])
    truncated = np.array([[False], [True]])
    final_values = np.array([[0.0], [7.0]], dtype=np.float32)
    returns = n_step_returns(rewards, terminated, truncated, final_values, np.array([3.0], np.float32), GAMMA)
    np.testing.assert_allclose(returns[:, 0], [1 + 0.9 * 1.0, 1.0], rtol=1e-6)


def test_episode_end_mid_rollout_cuts_the_chain_and_the_next_episode_bootstraps_from_last_values():
    # One env: episode A truncated at t=0 (V(final)=2), t=1 the reset step (reward 0), episode B runs t=2..3.
    rewards = np.array([[1.0], [0.0], [1.0], [1.0]], dtype=np.float32)
    terminated = np.zeros((4, 1), dtype=bool)
    truncated = np.array([[True], [False], [False], [False]])
    final_values = np.array([[2.0], [0.0], [0.0], [0.0]], dtype=np.float32)
    returns = n_step_returns(rewards, terminated, truncated, final_values, np.array([10.0], np.float32), GAMMA)
    # t=3: 1 + 0.9*10 = 10;  t=2: 1 + 0.9*10 = 10;  t=1: 0 + 0.9*10 = 9;  t=0: 1 + 0.9*2 = 2.8
    np.testing.assert_allclose(returns[:, 0], [2.8, 9.0, 10.0, 10.0], rtol=1e-6)


@pytest.mark.parametrize("gamma, expected", [(1.0, [3.0, 2.0, 1.0]), (0.5, [1.75, 1.5, 1.0])])
def test_gamma_discounts_each_step(gamma, expected):
    rewards = np.ones((3, 1), dtype=np.float32)
    done = np.array([[False], [False], [True]])
    returns = n_step_returns(
        rewards, done, np.zeros_like(done), np.zeros((3, 1), np.float32), np.array([50.0], np.float32), gamma
    )
    np.testing.assert_allclose(returns[:, 0], expected, rtol=1e-6)


def test_gae_lambda_returns_by_hand():
    """lam = 0.5, gamma 0.9; R_t - V(s_t) is GAE's advantage: env 0 checked against the sum of discounted TD errors
    too. Env 1 terminates at t=1 (the chain is cut, bootstrap 0), env 2 is truncated there (bootstrap V(final) = 5)."""
    rewards = np.tile(np.array([[1.0], [2.0], [3.0]], np.float32), (1, 3))
    values = np.tile(np.array([[0.5], [1.0], [2.0]], np.float32), (1, 3))
    terminated = np.zeros((3, 3), bool)
    truncated = np.zeros((3, 3), bool)
    final_values = np.full((3, 3), 99.0, np.float32)
    terminated[1, 1] = True
    truncated[1, 2] = True
    final_values[1, 2] = 5.0
    last_values = np.full(3, 4.0, np.float32)

    returns = n_step_returns(rewards, terminated, truncated, final_values, last_values, GAMMA, values, lam=0.5)

    # env 0: R2 = 3 + .9*4 = 6.6; R1 = 2 + .9*(.5*2 + .5*6.6) = 5.87; R0 = 1 + .9*(.5*1 + .5*5.87) = 4.0915
    # env 1: R2 = 6.6; R1 = 2 (terminated); R0 = 1 + .9*(.5*1 + .5*2) = 2.35
    # env 2: R2 = 6.6; R1 = 2 + .9*5 = 6.5; R0 = 1 + .9*(.5*1 + .5*6.5) = 4.375
    expected = np.array([[4.0915, 2.35, 4.375], [5.87, 2.0, 6.5], [6.6, 6.6, 6.6]], np.float32)
    np.testing.assert_allclose(returns.numpy(), expected, rtol=1e-6)

    deltas = [1 + 0.9 * 1.0 - 0.5, 2 + 0.9 * 2.0 - 1.0, 3 + 0.9 * 4.0 - 2.0]  # TD errors of env 0
    gae_0 = deltas[0] + 0.45 * deltas[1] + 0.45**2 * deltas[2]
    np.testing.assert_allclose(returns.numpy()[0, 0] - values[0, 0], gae_0, rtol=1e-6)


def test_lambda_one_is_the_n_step_return_whatever_the_values():
    rng = np.random.default_rng(0)
    rewards = rng.normal(size=(6, 4)).astype(np.float32)
    terminated = rng.random((6, 4)) < 0.2
    truncated = ~terminated & (rng.random((6, 4)) < 0.2)
    final_values = rng.normal(size=(6, 4)).astype(np.float32)
    last_values = rng.normal(size=4).astype(np.float32)
    values = rng.normal(size=(6, 4)).astype(np.float32)
    n_step = n_step_returns(rewards, terminated, truncated, final_values, last_values, GAMMA)
    lam_one = n_step_returns(rewards, terminated, truncated, final_values, last_values, GAMMA, values, lam=1.0)
    lam_half = n_step_returns(rewards, terminated, truncated, final_values, last_values, GAMMA, values, lam=0.5)
    np.testing.assert_allclose(lam_one.numpy(), n_step.numpy(), rtol=1e-6)
    assert not np.allclose(lam_half.numpy(), n_step.numpy())
