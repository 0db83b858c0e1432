"""The master: global model, shared optimizer, workers, run directory and the decision to stop.

Import `master_agent.master` (TensorFlow) only where training starts; config and run-directory helpers
stay light.
"""

from master_agent.config import RunConfig
from master_agent.run_dir import RunDirError

__all__ = ["RunConfig", "RunDirError"]
