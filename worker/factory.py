"""One worker's environments, local model and core, made the same way for a thread and for a Ray actor."""

from __future__ import annotations

from envs import GameSpec, make_vector_env
from envs.normalize import Normalizer
from models import build_model, make_distribution
from worker.core import WorkerCore
from worker.graph_core import GraphWorkerCore
from worker.hyperparams import Hyperparams


def make_core(
    game: GameSpec,
    network: str,
    hp: Hyperparams,
    seed: int,
    global_variables: list | None,
    *,
    env_impl: str = "gymnasium",
    name: str = "local",
    global_normalizer: Normalizer | None = None,
) -> WorkerCore | GraphWorkerCore:
    """`env_impl` "tf": the game's TensorFlow port and the one-graph core; "gymnasium": gymnasium's envs.
    `global_normalizer`: the master's shared statistics, for a thread worker to pull (with normalization on)."""
    distribution = make_distribution(game.action_space, hp.log_std, hp.action_bounds)
    if env_impl == "tf":
        from envs.cartpole_tf import CartPoleTF

        env = CartPoleTF(game.game_id, hp.envs_per_worker, seed)
        model = build_model(network, env.obs_shape, distribution, name, hp.conv_activation, hp.layer_norm)
        return GraphWorkerCore(model, global_variables, env, hp, seed)
    vector_env = make_vector_env(game, hp.envs_per_worker, recurrent=network == "cnn_lstm")
    model = build_model(
        network, tuple(vector_env.single_observation_space.shape), distribution, name, hp.conv_activation, hp.layer_norm
    )
    return WorkerCore(model, global_variables, vector_env, hp, seed, global_normalizer)


def fresh_env(core: WorkerCore | GraphWorkerCore, game: GameSpec, network: str, hp: Hyperparams):
    """What a restarted worker plays in: new gymnasium envs; an in-graph core keeps its own (its graph
    holds their variables), and `start_episodes` resets them."""
    if isinstance(core, GraphWorkerCore):
        return core.env
    return make_vector_env(game, hp.envs_per_worker, recurrent=network == "cnn_lstm")
