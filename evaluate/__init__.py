"""See what an agent learned: load a saved run, play episodes with its network, record them as GIF or MP4.

`evaluate.run_files` (reading and checking a run directory) and `evaluate.recording` (GIF/MP4 writers) are
free of TensorFlow, so bad input is answered before it loads; `evaluate.player` builds the network and plays.
"""

from evaluate.run_files import EvalError, RunInfo, load_run_info

__all__ = ["EvalError", "RunInfo", "load_run_info"]
