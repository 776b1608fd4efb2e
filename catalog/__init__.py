"""posezoo: the open catalog of on-device human-pose models.

`catalog.inspect(path)` reads one model file (ONNX, TFLite, TFJS graph model) and reports its
shapes, precision, size, params, MACs and FLOPs.
"""

from catalog.graph import ModelError
from catalog.inspection import ModelReport, inspect

__all__ = ["ModelError", "ModelReport", "inspect"]
