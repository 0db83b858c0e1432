"""What each setting accepts, written once: the flags (`run.py`), the Python API (`a3c.make_config`), preset and
`--config` files (`master_agent.presets`) all check a value here, so a value is refused with the same words
wherever it comes from.

No TensorFlow and no gymnasium here: `run.py --help` builds its flags from this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from worker.hyperparams import ACTION_BOUNDS_CHOICES, CONV_ACTIVATION_CHOICES, LOG_STD_CHOICES, SCHEDULE_CHOICES

# keras.utils.set_random_seed seeds NumPy's legacy generator, which takes 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1
ENV_IMPLS = ("auto", "tf", "gymnasium")  # run.py --env-impl; "auto": "tf" where the game has a TensorFlow port
BACKENDS = ("thread", "ray")
TARGET_ON = ("train", "eval")  # --target-on: the stop rule compares the training window's mean, or an evaluation's


class SettingsError(ValueError):
    """Settings a run cannot start with: one line for the user (the command line prints it as `error: ...`)."""


class BadValue(ValueError):
    """A value a setting does not accept; the message says what is allowed (without the setting's name)."""


@dataclass(frozen=True)
class Rule:
    """What one setting accepts: a kind (int, float, bool, str, dict), a range or a list of choices."""

    kind: type
    requirement: str = ""  # "at least 1": what `accepts` holds, in words
    accepts: Callable[[Any], bool] = lambda value: True
    choices: tuple[str, ...] = ()

    def check(self, value: Any, shown: str | None = None) -> Any:
        """`value` as the setting keeps it (an int where a float is expected becomes a float), or BadValue
        (which shows the value as `shown`, where the user wrote it as text)."""
        shown = repr(value) if shown is None else shown
        if self.choices:
            if value not in self.choices:
                raise BadValue(f"must be one of {', '.join(self.choices)}, got {shown}")
            return value
        if self.kind is float and isinstance(value, str):
            value = self._number(value)  # YAML 1.1 reads `7e-4` (no dot) as text
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.kind) or (self.kind is int and isinstance(value, bool)):
            raise BadValue(f"expected {self.kind_name()}, got {shown}")
        if isinstance(value, float) and not math.isfinite(value) or not self.accepts(value):
            raise BadValue(f"must be {self.requirement}, got {shown}")
        return value

    def parse(self, text: str) -> Any:
        """A flag's text as the setting's value: argparse's `type=` (argparse names the flag)."""
        import argparse

        try:
            if self.choices or self.kind is str:
                return self.check(text, repr(text))
            return self.check(self.kind(text) if self.kind is int else self._number(text), text)
        except ValueError as exc:
            message = str(exc) if isinstance(exc, BadValue) else f"expected {self.kind_name()}, got '{text}'"
            raise argparse.ArgumentTypeError(message) from None

    def _number(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise BadValue(f"expected {self.kind_name()}, got {text!r}") from None

    def kind_name(self) -> str:
        return {int: "an integer", float: "a number", bool: "true or false", str: "text", dict: "a mapping"}[self.kind]


POSITIVE_INT = Rule(int, "at least 1", lambda v: v >= 1)
NON_NEGATIVE_INT = Rule(int, ">= 0", lambda v: v >= 0)
POSITIVE_FLOAT = Rule(float, "a positive finite number", lambda v: v > 0)
NON_NEGATIVE_FLOAT = Rule(float, "a finite number >= 0", lambda v: v >= 0)
FRACTION = Rule(float, "in (0, 1]", lambda v: 0 < v <= 1)
FINITE_FLOAT = Rule(float, "finite")
SEED = Rule(int, f"between 0 and {MAX_SEED} (2**32 - 1)", lambda v: 0 <= v <= MAX_SEED)
FLAG = Rule(bool)
TEXT = Rule(str)


def choice(options: tuple[str, ...]) -> Rule:
    return Rule(str, choices=options)


# Every setting a run takes, by the name of its flag (`lr` is `--lr`), in the order `--help` lists them.
RULES: dict[str, Rule] = {
    "env_kwargs": Rule(dict),
    "workers": POSITIVE_INT,
    "envs_per_worker": POSITIVE_INT,
    "cnn_lstm": FLAG,
    "max_steps": POSITIVE_INT,
    "max_episodes": POSITIVE_INT,
    "max_seconds": POSITIVE_FLOAT,
    "target_reward": FINITE_FLOAT,
    "seed": SEED,
    "lr": POSITIVE_FLOAT,
    "lr_schedule": choice(SCHEDULE_CHOICES),
    "gamma": FRACTION,
    "t_max": POSITIVE_INT,
    "entropy_beta": NON_NEGATIVE_FLOAT,
    "entropy_schedule": choice(SCHEDULE_CHOICES),
    "entropy_beta_final": NON_NEGATIVE_FLOAT,
    "value_coef": POSITIVE_FLOAT,
    "gae_lambda": FRACTION,
    "max_grad_norm": POSITIVE_FLOAT,
    "normalize_obs": FLAG,
    "normalize_reward": FLAG,
    "log_std": choice(LOG_STD_CHOICES),
    "action_bounds": choice(ACTION_BOUNDS_CHOICES),
    "conv_activation": choice(CONV_ACTIVATION_CHOICES),
    "layer_norm": FLAG,
    "terminal_on_life_loss": FLAG,
    "eval_every": NON_NEGATIVE_INT,
    "eval_episodes": POSITIVE_INT,
    "target_on": choice(TARGET_ON),
    "runs_dir": TEXT,
    "checkpoint_every": POSITIVE_FLOAT,
    "env_impl": choice(ENV_IMPLS),
    "backend": choice(BACKENDS),
    "ray_address": TEXT,
}
SETTINGS = tuple(RULES)


def check_value(name: str, value: Any) -> Any:
    """`value` checked against setting `name`'s rule; BadValue says what is allowed."""
    return RULES[name].check(value)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")
