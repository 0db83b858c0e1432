"""Where one worker's time goes: cProfile of the update loop (locked pull, update, locked apply).

    python bench/profile_worker.py [--game CartPole-v1] [--cnn-lstm] [--envs-per-worker E] [--t-max T]
                                   [--updates 3000] [--top 15] [--env-impl tf|gymnasium]

One worker on this thread, no other threads, defaults of the game's kind; prints env steps per second and
the profile's top functions by own time. Building and compiling happen before the profile starts.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from master_agent.quiet_start import quiet_tensorflow_import  # noqa: E402

quiet_tensorflow_import()  # TensorFlow's start-up notices stay off stderr, as with run.py

from envs import has_tf_env, make_vector_env, resolve_game  # noqa: E402
from master_agent.config import defaults_for  # noqa: E402
from master_agent.master import configure_tensorflow_threads  # noqa: E402
from master_agent.shared_optimizer import SharedOptimizer  # noqa: E402
from models import build_model, choose_network, make_distribution  # noqa: E402
from worker import Hyperparams  # noqa: E402
from worker.factory import make_core  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--game", default="CartPole-v1")
    parser.add_argument("--cnn-lstm", action="store_true")
    parser.add_argument("--envs-per-worker", type=int, help="default: the game kind's default")
    parser.add_argument("--t-max", type=int, help="default: the game kind's default")
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--env-impl", choices=("tf", "gymnasium"), help="default: tf where the game has a port")
    args = parser.parse_args()
    configure_tensorflow_threads()

    game = resolve_game(args.game)
    env_impl = args.env_impl or ("tf" if has_tf_env(game.game_id) else "gymnasium")
    d = defaults_for(game.is_atari, tf_env=env_impl == "tf")
    hp = Hyperparams(
        t_max=args.t_max or d.t_max,
        envs_per_worker=args.envs_per_worker or d.envs_per_worker,
        clip_rewards=d.clip_rewards,
    )
    network = choose_network(game.is_image, args.cnn_lstm)
    probe = make_vector_env(game, 1, recurrent=network == "cnn_lstm")  # observations after preprocessing
    shape = tuple(probe.single_observation_space.shape)
    probe.close()
    model = build_model(network, shape, make_distribution(game.action_space), name="global")
    optimizer = SharedOptimizer(model, d.learning_rate)
    core = make_core(game, network, hp, 0, optimizer.variables, env_impl=env_impl)

    def loop() -> int:  # WorkerAgent.run's steps, on this thread
        steps = 0
        for _ in range(args.updates):
            with optimizer.lock:
                core.pull()
            update = core.update()
            optimizer.apply(update.grads)
            steps += update.steps
        return steps

    profiler = cProfile.Profile()
    start = time.perf_counter()
    steps = profiler.runcall(loop)
    seconds = time.perf_counter() - start
    print(
        f"{game.game_id} ({env_impl} envs): {args.updates} updates, {steps:,} env steps in {seconds:.1f} s "
        "under cProfile "
        f"({steps / seconds:,.0f} steps/s, {seconds / args.updates * 1e3:.2f} ms per update)"
    )
    pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
