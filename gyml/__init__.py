"""gyml: a smart fitness trainer.

Video or pose file -> 3D pose sequence -> exercise -> repetitions -> coaching feedback.
The numeric core works on numpy arrays; the CLI, reports and web page are thin layers on top.
"""

__version__ = "0.1.0"

from gyml.errors import GymlError
from gyml.pose.sequence import PoseSequence

__all__ = ["GymlError", "PoseSequence", "__version__"]
