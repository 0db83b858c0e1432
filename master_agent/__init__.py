"""The master: global model, shared optimizer, workers, run directory and the decision to stop.

Import `master_agent.master` (TensorFlow) only where training starts; the config stays light. The run
directory's files belong to `rundir`; `RunDirError` is here too because the CLI catches it from here.
"""

from master_agent.config import RunConfig
from rundir import RunDirError

__all__ = ["RunConfig", "RunDirError"]
