"""posezoo: the open catalog of on-device human-pose models.

- `catalog.load(where)` returns a catalog as a pandas DataFrame, one row per model variant and
  format; `where` is a URL, a catalog.json or a build folder, by default the catalog of this
  posezoo's release on the project's site. `catalog.load_records(where)` the raw document.
- `catalog.inspect(path)` reads one model file (ONNX, TFLite, TFJS graph model, frozen graph) and
  reports its shapes, precision, size, params, MACs and FLOPs (`pip install 'posezoo[inspect]'`).
- `catalog.pose.PoseEstimator.from_catalog(id)` runs a variant on RGB images.
"""

from typing import Any

from catalog.errors import ModelError

__version__ = "0.1.0"  # the release: pyproject.toml reads it, and the default catalog is this release's
__all__ = ["ModelError", "ModelReport", "__version__", "inspect", "load", "load_records"]


def __getattr__(name: str) -> Any:
    # loaded on first use: the catalog loaders pull in pandas and pydantic, the reader onnx and LiteRT
    if name in ("load", "load_records"):
        from catalog.publish import table as frame

        return getattr(frame, name)
    if name in ("inspect", "ModelReport"):
        from catalog.measure import inspection

        return getattr(inspection, name)
    raise AttributeError(f"module 'catalog' has no attribute {name!r}")
