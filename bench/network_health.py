"""Why is a run not learning? Play one game with its saved network and look inside.

    python bench/network_health.py RUN_DIR [--best] [--max-steps 5000] [--seed 0]

Prints, for image networks, each trunk layer's share of units that at least one frame switched on (dead ReLUs
show as a share near 0) and its mean activation (features that grow until they saturate the LSTM show as a large
mean); for every network, the critic's spread over the game and its correlation with the discounted return
actually obtained (a critic that learned only the mean has a spread near 0 and no correlation), and the policy's
entropy against its maximum (a policy that has not moved from uniform sits at the maximum).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from master_agent.quiet_start import quiet_atari, quiet_tensorflow_import  # noqa: E402

quiet_tensorflow_import()
quiet_atari()

import tensorflow as tf  # noqa: E402

from evaluate import load_run_info  # noqa: E402
from evaluate.player import build_agent, make_run_env, read_weights, run_game  # noqa: E402
from rundir import read_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir")
    parser.add_argument("--best", action="store_true", help="the best evaluation's weights, not the last checkpoint")
    parser.add_argument("--max-steps", type=int, default=5000, help="stop the game after this many steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    info = load_run_info(args.run_dir, best=args.best)
    game = run_game(info)
    agent = build_agent(info, game, read_weights(info))
    env, _ = make_run_env(info, game)
    distribution = agent.distribution
    gamma = float(read_config(info.run_dir)["config"]["hyperparams"]["gamma"])
    rng = np.random.default_rng(args.seed)

    obs, _ = env.reset(seed=args.seed)
    state = agent.initial_state(1)
    frames, values, rewards, entropies = [], [], [], []
    for _ in range(args.max_steps):
        batch = np.asarray(obs, dtype=agent.obs_dtype)[None]
        params, value, state = agent.forward(batch, state)
        frames.append(batch[0])
        values.append(float(value[0]))
        entropies.append(float(np.asarray(distribution.entropy(tf.convert_to_tensor(params)))[0]))
        action = distribution.to_env_numpy(distribution.sample_numpy(params, rng))[0]
        obs, reward, terminated, truncated, _ = env.step(action)
        rewards.append(float(reward))
        if terminated or truncated:
            break
    env.close()

    returns, acc = np.zeros(len(rewards)), 0.0
    for t in range(len(rewards) - 1, -1, -1):
        acc = rewards[t] + gamma * acc
        returns[t] = acc
    values = np.array(values)
    print(f"{info.run_dir}: {len(rewards)} steps, score {sum(rewards):g}")
    if getattr(agent.model, "convolutional", False):
        for name, act in agent.model.trunk.layer_outputs(np.stack(frames)).items():
            act = act.numpy().reshape(len(frames), -1)
            print(f"  {name:6s} units ever on {(act > 0).any(0).mean():.3f}   mean activation {act.mean():.3f}")
    corr = np.corrcoef(values, returns)[0, 1] if values.std() > 0 and returns.std() > 0 else float("nan")
    print(f"  value  mean {values.mean():+.3f}  std {values.std():.3f}  corr with discounted return {corr:+.3f}")
    uniform = f" (uniform: {np.log(distribution.n):.3f})" if hasattr(distribution, "n") else ""
    print(f"  policy entropy mean {np.mean(entropies):.3f}{uniform}")


if __name__ == "__main__":
    main()
