"""Read a TFJS graph model (model.json topology + weights manifest) into the IR.

Written by hand because the only library that reads this format is TensorFlow itself, which
is a 1.9 GB optional extra here; the format is plain JSON plus concatenated weight bytes. The
topology is a GraphDef in protobuf's JSON form, walked by `tfnodes` as a frozen .pb's is.
"""

from __future__ import annotations

import functools
import json
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from catalog.errors import ModelError
from catalog.read.common import file_inside, inner_path
from catalog.read.graph import Graph, GraphError, Tensor
from catalog.read.limits import MAX_MODEL_JSON_BYTES, MAX_WEIGHT_FILES
from catalog.read.structure import shape_problem
from catalog.read.tfnodes import constant, graph_from_nodes

_ITEM_BYTES = {"float32": 4, "float16": 2, "int32": 4, "int64": 8, "bool": 1, "uint8": 1,
               "int8": 1, "uint16": 2, "int16": 2, "complex64": 8}  # fmt: skip

_MIB = 2**20


def read_model_json(path: Path, *, check_paths: bool = True) -> dict[str, Any]:
    """A TFJS graph model's model.json (some hosts serve it gzip-compressed), its manifest's
    shape checked: a list of groups, each naming its weight files.

    With `check_paths`, every weights path follows the one rule (`file_inside`) and is given
    normalised, so that whatever reads the document (inspect, conversion, the numeric check)
    reads the same files; fetch, which applies the rule itself before anything is on disk,
    reads without.
    """
    path = Path(path)
    if path.stat().st_size > MAX_MODEL_JSON_BYTES:
        raise ModelError(str(path), f"model.json is larger than {MAX_MODEL_JSON_BYTES // _MIB} MiB")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(path, raw)
    try:
        document = json.loads(raw)
    except ValueError as error:  # not JSON, not UTF-8, or a number too long to convert
        raise ModelError(str(path), f"not a TFJS model.json ({type(error).__name__})") from None
    except RecursionError:
        raise ModelError(str(path), "model.json nests deeper than a JSON parser follows") from None
    if not isinstance(document, dict) or "modelTopology" not in document:
        raise ModelError(str(path), "not a TFJS graph model (no modelTopology)")
    _check_manifest(path, document)
    if check_paths:
        _normalise_paths(path, document)
    return document


def _normalise_paths(path: Path, document: dict[str, Any]) -> None:
    for group in document.get("weightsManifest", []):
        if "paths" in group:
            group["paths"] = [_weights_file(path, relative).relative_to(path.parent).as_posix()
                              for relative in group["paths"]]  # fmt: skip


def _weights_file(model_json: Path, relative: str) -> Path:
    try:
        return file_inside(model_json.parent, relative)
    except ValueError:
        raise ModelError(str(model_json), f"weights path {relative!r} leaves the model's folder") from None


def _gunzip(path: Path, raw: bytes) -> bytes:
    """A gzip-compressed model.json, decompressed no further than the size limit."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, MAX_MODEL_JSON_BYTES + 1)
    except zlib.error as error:
        raise ModelError(str(path), f"model.json is damaged gzip ({error})") from None
    if len(data) > MAX_MODEL_JSON_BYTES:
        raise ModelError(str(path), f"model.json expands past {MAX_MODEL_JSON_BYTES // _MIB} MiB")
    if not inflater.eof:
        raise ModelError(str(path), "model.json is gzip cut short")
    return data


def _check_manifest(path: Path, document: dict[str, Any]) -> None:
    manifest = document.get("weightsManifest", [])
    groups_ok = isinstance(manifest, list) and all(
        isinstance(group, dict)
        and isinstance(group.get("paths", []), list)
        and all(isinstance(p, str) for p in group.get("paths", []))
        and isinstance(group.get("weights", []), list)
        for group in manifest
    )
    if not groups_ok:
        raise ModelError(str(path), "weightsManifest is malformed: expected groups of paths and weights")
    named = weight_paths(document)
    if len(named) > MAX_WEIGHT_FILES:
        reason = f"the manifest names {len(named):,} weight files, past the limit of {MAX_WEIGHT_FILES:,}"
        raise ModelError(str(path), reason)
    normalised = [_normalised(p) for p in named]
    if len(set(normalised)) < len(normalised):
        twice = next(p for p, n in zip(named, normalised, strict=True) if normalised.count(n) > 1)
        raise ModelError(str(path), f"the manifest names weights file {twice} twice")


def _normalised(relative: str) -> str:
    try:
        return inner_path(relative)
    except ValueError:  # refused where the file is looked for, with its own message
        return relative


def weight_paths(document: dict[str, Any]) -> list[str]:
    """The weight files a model.json's manifest names, relative to its folder, in order."""
    return [p for group in document.get("weightsManifest", []) for p in group.get("paths", [])]


def model_files(model_json: Path, document: dict[str, Any] | None = None) -> list[Path]:
    """A TFJS model's files: the model.json, then each weight file its manifest names, which
    must lie inside the model.json's folder. Their sizes summed are the model's size."""
    model_json = Path(model_json)
    document = read_model_json(model_json) if document is None else document
    files = [model_json]
    for relative in weight_paths(document):
        file = _weights_file(model_json, relative)
        if not file.is_file():
            raise ModelError(str(model_json), f"weights file {relative} named by the manifest is missing")
        files.append(file)
    return files


@dataclass(frozen=True)
class StoredWeight:
    """One manifest entry and where its bytes lie: `dtype` as declared, `storage` as stored
    (float16 for fp16-quantized weights, uint8/uint16 for affine-quantized ones)."""

    name: str
    dtype: str
    storage: str
    shape: tuple[int, ...]
    quantization: dict[str, Any]
    data: bytes
    offset: int

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    def stored(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype=self.storage, count=self.elements, offset=self.offset).reshape(self.shape)

    def value(self) -> np.ndarray:
        """The weight in its declared dtype, dequantized."""
        stored = self.stored()
        if "scale" in self.quantization:  # affine uint8/uint16
            stored = stored.astype(np.float32) * self.quantization["scale"] + self.quantization["min"]
        return stored.astype(self.dtype)


def stored_weights(path: Path, document: dict[str, Any]) -> Iterator[StoredWeight]:
    """Every weight of the manifest, checked against the bytes its files hold."""
    files = iter(model_files(path, document)[1:])  # in manifest order, checked once
    for group in document.get("weightsManifest", []):
        data = b"".join(next(files).read_bytes() for _ in group.get("paths", []))
        offset = 0
        for entry in group.get("weights", []):
            quantization = entry.get("quantization") or {}
            storage = quantization.get("dtype", entry["dtype"])
            if storage not in _ITEM_BYTES:
                raise ModelError(str(path), f"weight {entry['name']} is stored as {storage}, which is not supported")
            shape = tuple(int(d) for d in entry.get("shape", []))
            problem = shape_problem(shape)
            if problem:
                raise ModelError(str(path), f"weight {entry['name']} {problem}")
            weight = StoredWeight(entry["name"], entry["dtype"], storage, shape, quantization, data, offset)
            offset += weight.elements * _ITEM_BYTES[storage]
            if offset > len(data):
                raise ModelError(str(path), f"weights files hold {len(data)} bytes, the manifest needs more")
            yield weight
        if offset != len(data):
            raise ModelError(str(path), f"weights files hold {len(data)} bytes, the manifest names {offset}")


def _load_weights(path: Path, document: dict[str, Any]) -> dict[str, Tensor]:
    tensors: dict[str, Tensor] = {}
    for weight in stored_weights(path, document):
        quantized = "scale" in weight.quantization
        tensors[weight.name] = constant(weight.name, weight.storage, weight.shape, weight.stored, quantized)
    return tensors


def read_tfjs(path: Path, document: dict[str, Any] | None = None) -> Graph:
    """The graph of a model.json; `document` is the file already read (read_model_json)."""
    document = read_model_json(path) if document is None else document
    if document.get("format") not in (None, "graph-model"):
        raise ModelError(str(path), f"TFJS {document.get('format')} models are not supported, only graph models")
    topology = document["modelTopology"]
    if not isinstance(topology, dict) or "node" not in topology:
        raise ModelError(str(path), "TFJS layers models are not supported, only graph models")
    try:
        return _read_graph(path, document, topology)
    except GraphError as error:
        raise ModelError(str(path), str(error)) from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as error:
        # the JSON's structure is the file's: a value of the wrong type anywhere is damage
        raise ModelError(str(path), f"damaged TFJS graph model ({type(error).__name__}: {error})") from None


def _read_graph(path: Path, document: dict, topology: dict) -> Graph:
    weights = functools.partial(_load_weights, path, document)
    return graph_from_nodes("tfjs", topology["node"], weights, document.get("signature") or {})
