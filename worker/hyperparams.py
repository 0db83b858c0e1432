"""The settings that decide what a worker computes.

The defaults here are the kind-independent ones, written only here. `t_max` and `envs_per_worker` depend on the
kind of game, so they have no default: `master_agent.config.GameDefaults` holds them per kind.
"""

from __future__ import annotations

from dataclasses import dataclass

# Box actions (models.distributions.DiagGaussian): the Gaussian's log-std one learned vector or an output per state;
# the sample clipped to the action bounds or squashed into them with tanh. The first of each is the default.
LOG_STD_CHOICES = ("state-independent", "state-dependent")
ACTION_BOUNDS_CHOICES = ("clip", "squash")
# How the learning rate and the entropy weight move over the step budget: fixed, or linearly to their final value.
SCHEDULE_CHOICES = ("constant", "linear")
# The image networks' activation (models.cnn). ReLU is the A3C paper's; ELU (pytorch-a3c's) cannot die: with ReLU, lr
# 7e-4 and Adam, Pong's first conv layer had no unit left that any frame switched on after 170k steps (README, Atari).
CONV_ACTIVATION_CHOICES = ("relu", "elu")


@dataclass(frozen=True, kw_only=True)
class Hyperparams:
    gamma: float = 0.99
    t_max: int  # steps per environment per update
    envs_per_worker: int  # environments a worker steps side by side, acting for all in one call
    entropy_beta: float = 0.01
    entropy_schedule: str = SCHEDULE_CHOICES[0]  # "linear": from entropy_beta to entropy_beta_final over the budget
    entropy_beta_final: float = 0.0
    value_coef: float = 0.5
    gae_lambda: float = 1.0  # 1: the A3C paper's n-step returns; below 1, GAE(lambda) advantages (worker.core)
    max_grad_norm: float = 40.0
    # Clip to [-1, 1] for the loss only (Atari); logged returns stay real. A new run takes the kind's value
    # (GameDefaults.clip_rewards); False is what a config saved before the setting existed means (classic games).
    clip_rewards: bool = False
    # Atari: a lost life cuts the return's bootstrap as a game's end does (SB3's EpisodicLifeEnv, DQN's training
    # signal), for the loss only: the game, its LSTM state and its logged score go on. A new run takes the kind's
    # value (GameDefaults.terminal_on_life_loss); False is what a config saved before the setting existed means.
    terminal_on_life_loss: bool = False
    # Running mean / variance normalization of observations, and scaling of rewards by the spread of the discounted
    # return (envs.normalize), with statistics shared by all workers.
    normalize_obs: bool = False
    normalize_reward: bool = False
    log_std: str = LOG_STD_CHOICES[0]
    action_bounds: str = ACTION_BOUNDS_CHOICES[0]
    conv_activation: str = CONV_ACTIVATION_CHOICES[0]
    # LayerNorm on the image networks' dense features (models.cnn.ConvTrunk). A new run takes the kind's value
    # (GameDefaults.layer_norm); False is what a config saved before the setting existed means.
    layer_norm: bool = False
