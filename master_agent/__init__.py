"""The master: global model, shared optimizer, workers, run directory and the decision to stop."""

from master_agent.config import RunConfig
from master_agent.master import MasterAgent, TrainResult
from master_agent.run_dir import RunDirError
from master_agent.shared_optimizer import SharedOptimizer, StepCounter

__all__ = ["RunConfig", "MasterAgent", "TrainResult", "RunDirError", "SharedOptimizer", "StepCounter"]
