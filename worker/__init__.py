"""A3C worker: what it computes (`core`) and the thread that runs it (`thread`)."""

from worker.core import Episode, WorkerCore
from worker.hyperparams import Hyperparams
from worker.thread import EpisodeResult, WorkerAgent, WorkerFailure

__all__ = ["Episode", "WorkerCore", "Hyperparams", "EpisodeResult", "WorkerAgent", "WorkerFailure"]
