"""The learning rate and the entropy weight as the run goes: constant, or linear over the step budget.

A schedule is a function of the global step alone, so its position is the step count: a resumed run picks it up
where the checkpoint left it, with nothing else saved. The span is `RunConfig.schedule_steps`, the step budget
when the run started (a resume with a new `--max-steps` does not stretch it); past it, the final value holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from master_agent.config import RunConfig


def linear(start: float, end: float, step: int, span: int) -> float:
    """`start` at step 0, `end` at step `span` and after."""
    progress = min(max(step / span, 0.0), 1.0)
    return start + (end - start) * progress


@dataclass(frozen=True)
class Schedules:
    learning_rate: float
    lr_linear: bool
    entropy_beta: float
    entropy_beta_final: float
    entropy_linear: bool
    span: int | None

    @classmethod
    def of(cls, config: RunConfig) -> Schedules:
        hp = config.hyperparams
        return cls(
            learning_rate=config.learning_rate,
            lr_linear=config.lr_schedule == "linear",
            entropy_beta=hp.entropy_beta,
            entropy_beta_final=hp.entropy_beta_final,
            entropy_linear=hp.entropy_schedule == "linear",
            span=config.schedule_steps,
        )

    def lr_at(self, step: int) -> float:
        """The A3C paper's annealing: linearly from the initial rate to 0 over the budget."""
        return linear(self.learning_rate, 0.0, step, self.span) if self.lr_linear else self.learning_rate

    def entropy_beta_at(self, step: int) -> float:
        if not self.entropy_linear:
            return self.entropy_beta
        return linear(self.entropy_beta, self.entropy_beta_final, step, self.span)
