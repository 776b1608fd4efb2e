"""posezoo: the open catalog of on-device human-pose models.

- `catalog.inspect(path)` reads one model file (ONNX, TFLite, TFJS graph model) and reports its
  shapes, precision, size, params, MACs and FLOPs.
- `catalog.load()` returns the built catalog (build/catalog.json) as a pandas DataFrame, one
  row per model variant and format; `catalog.load_records()` the raw document.
"""

from typing import Any

from catalog.errors import ModelError
from catalog.measure.inspection import ModelReport, inspect

__all__ = ["ModelError", "ModelReport", "inspect", "load", "load_records"]


def __getattr__(name: str) -> Any:
    # the catalog loaders pull in the builder's modules: only when asked for
    if name in ("load", "load_records"):
        from catalog.publish import table as frame

        return getattr(frame, name)
    raise AttributeError(f"module 'catalog' has no attribute {name!r}")
