"""Where things are by default: the project's folders and the names of the files a build writes."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CARDS = ROOT / "cards"  # the default zoo's hand-written cards
DEFAULTS_FILE = "_defaults.yaml"  # shared usage restrictions and keypoint schemas, beside the cards
DEFAULT_OUT = ROOT / "build"  # what `posezoo build` writes; never committed
DEFAULT_PINS = ROOT / "package.json"  # npm pins of the model packages (`modelPackages`)
DEFAULT_DEVICES = ROOT / "devices"  # devices/*.json: rows measured in visitors' browsers
DEFAULT_PYPI_PINS = ROOT / "pyproject.toml"  # pins of the Python distributions models ship in
CATALOG_FILE = "catalog.json"
SCHEMA_FILE = "catalog.schema.json"
MODELS_DIR = "models"  # BUILD/models/<variant id>/: the original and its ONNX form
