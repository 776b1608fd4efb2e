"""Inspect one model file: read it into the IR, resolve its shapes, and report every figure."""

from __future__ import annotations

import hashlib
import mmap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from numbers import Integral
from pathlib import Path

from catalog.digest import known_sha256, remember, sha256_file
from catalog.errors import InternalError, ModelError, PosezooError
from catalog.measure import metrics
from catalog.read.graph import Graph, GraphError, Shape
from catalog.read.limits import MAX_EXACT_FIGURE, MAX_TENSOR_ELEMENTS
from catalog.read.shapes import infer_shapes

MIB = 2**20
FORMATS = {".onnx": "onnx", ".tflite": "tflite", ".json": "tfjs", ".pb": "pb"}
DEFAULT_BATCH = 1
DEFAULT_SIZE = 256  # a dynamic dim no file or user sizes is taken at this, and labelled so


@dataclass
class TensorInfo:
    name: str
    shape: list[int | str | None]
    dtype: str


@dataclass
class FileInfo:
    path: str
    size_bytes: int
    sha256: str


@dataclass
class ModelReport:
    path: str
    format: str
    size_bytes: int
    size_mib: float
    sha256: str
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    reference_shapes: dict[str, list[int]]
    reference_source: dict[str, str]
    precision: str
    precision_split: dict[str, float]
    quantization: str | None
    quantization_format: str | None
    params: int
    sparse_params: int
    macs: int
    flops: int
    ops: list[dict]
    files: list[FileInfo] = field(default_factory=list)
    unresolved_ops: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def detect_format(path: Path) -> str:
    """The file's format from its name, confirmed by its first bytes."""
    if path.is_dir():
        raise ModelError(str(path), "is a directory, not a model file")
    if not path.exists():
        raise ModelError(str(path), "no such file")
    if not path.is_file():  # a device or a pipe would be read without end, or wait for a writer
        raise ModelError(str(path), "not a regular file")
    fmt = FORMATS.get(path.suffix.lower())
    if path.suffix.lower() == ".bin":
        raise ModelError(str(path), "a weights file: inspect the TFJS model.json that names it")
    if fmt is None:
        raise ModelError(
            str(path),
            f"unsupported file type {path.suffix or '(none)'!r}: expected .onnx, .tflite, .pb or a TFJS model.json",
        )
    try:
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError as error:
        raise ModelError(str(path), f"cannot read ({error.strerror or error})") from None
    if not head:
        raise ModelError(str(path), "empty file")
    # an ONNX ModelProto starts with its ir_version field (tag 0x08); anything else unknown
    # is left for the format's own reader to refuse
    looks_like = (
        "tflite"
        if head[4:8] == b"TFL3"
        else "tfjs"
        if head.lstrip()[:1] == b"{"
        else "onnx"
        if head[0] == 0x08
        else None
    )
    if looks_like == "onnx" and fmt == "pb":  # a SavedModel starts so too: the GraphDef reader says which
        looks_like = None
    if looks_like is not None and looks_like != fmt:
        names = {"onnx": "ONNX", "tflite": "TFLite", "tfjs": "TFJS JSON"}
        raise ModelError(str(path), f"named {path.suffix} but holds {names[looks_like]} data")
    return fmt


def _files(path: Path, fmt: str, document: dict | None) -> list[Path]:
    if fmt != "tfjs":
        return [path]
    from catalog.read.tfjs import model_files

    return model_files(path, document)


def _model_json(path: Path, fmt: str) -> dict | None:
    """A TFJS model.json, parsed once for every read of the graph and the list of its files."""
    if fmt != "tfjs":
        return None
    from catalog.read.tfjs import read_model_json

    return read_model_json(path)


def _check_figures(path: Path, figures: metrics.Figures, size: int) -> None:
    """Every figure is exact in JSON (at most 2^53) and none is negative. Past the limit, the file
    asks for more than any model does; a negative figure is a bug, since no shape is negative."""
    named = [("size", size), ("params", figures.params), ("sparse params", figures.sparse_params),
             ("MACs", figures.macs), ("FLOPs", figures.flops)]  # fmt: skip
    for row in figures.ops:
        named += [(f"MACs of {row.op}", row.macs), (f"FLOPs of {row.op}", row.flops),
                  (f"output elements of {row.op}", row.output_elements),
                  (f"first input elements of {row.op}", row.first_input_elements),
                  (f"other input elements of {row.op}", row.other_input_elements)]  # fmt: skip
    for name, value in named:
        if value > MAX_EXACT_FIGURE:
            raise ModelError(str(path), f"{name} {value:.3g} exceeds 2^53, past what JSON readers hold exactly")
        if value < 0:
            raise InternalError(str(path), f"{name} came out negative ({value})")


def _tensor_infos(graph: Graph, names: list[str], shapes: dict[str, Shape | None]) -> list[TensorInfo]:
    infos = []
    for name in names:
        shape = shapes.get(name)
        infos.append(TensorInfo(name, list(shape) if shape is not None else [], graph.tensors[name].dtype))
    return infos


def _is_size(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and 0 < value <= MAX_TENSOR_ELEMENTS


def _references(
    graph: Graph, requested: dict[str, tuple[int, ...]]
) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    shapes: dict[str, tuple[int, ...]] = {}
    sources: dict[str, str] = {}
    for name in graph.inputs:
        declared = graph.tensors[name].shape or ()
        if name in requested:
            if len(requested[name]) != len(declared):
                raise ModelError(
                    name,
                    f"--input-shape {name} has rank {len(requested[name])}, the input has rank {len(declared)}",
                )
            if not all(_is_size(r) for r in requested[name]):
                raise ModelError(name, f"--input-shape {name}: sizes must be positive integers, not {requested[name]}")
            fixed = [(i, d) for i, (d, r) in enumerate(zip(declared, requested[name], strict=True))
                     if isinstance(d, int) and d != r]  # fmt: skip
            if fixed:
                i, d = fixed[0]
                raise ModelError(name, f"--input-shape {name}: dim {i} of this input is fixed at {d}")
            shapes[name], sources[name] = tuple(int(r) for r in requested[name]), "user"
        elif all(isinstance(d, int) for d in declared):
            continue
        elif name in graph.stated_input_shapes:
            shapes[name], sources[name] = graph.stated_input_shapes[name], "signature"
        else:
            guessed = [d if isinstance(d, int) else (DEFAULT_BATCH if i == 0 else DEFAULT_SIZE)
                       for i, d in enumerate(declared)]  # fmt: skip
            shapes[name] = tuple(guessed)
            sources[name] = "default" if any(not isinstance(d, int) for d in declared[1:]) else "default batch"
    return shapes, sources


def _merge(declared: Shape | None, inferred: Shape | None) -> Shape | None:
    if declared is None:
        return inferred
    if inferred is None or len(inferred) != len(declared):
        return declared
    return tuple(i if isinstance(i, int) else d for d, i in zip(declared, inferred, strict=True))


def read_graph(path: Path, fmt: str, data: bytes | None = None, document: dict | None = None) -> Graph:
    if fmt == "onnx":
        from catalog.read.onnx import read_onnx

        return read_onnx(path, data)
    if fmt == "tflite":
        from catalog.read.tflite import read_tflite

        return read_tflite(path, data)
    if fmt == "pb":
        from catalog.read.pb import read_pb

        return read_pb(path, data)
    from catalog.read.tfjs import read_tfjs

    return read_tfjs(path, document)


def _resolved(
    path: Path,
    fmt: str,
    data: bytes | None,
    shapes: dict[str, tuple[int, ...]],
    graph: Graph | None = None,
    document: dict | None = None,
) -> Graph:
    """The graph with its inputs at the given sizes and every shape inferred from them."""
    if fmt == "onnx":
        from catalog.read.onnx import load_model, to_graph, with_input_shapes

        return to_graph(with_input_shapes(load_model(path, data), shapes), path)
    graph = graph or read_graph(path, fmt, data, document)
    for name, shape in shapes.items():
        graph.tensors[name].shape = shape
    infer_shapes(graph, overwrite=True)
    return graph


def _symbolic_outputs(
    declared_inputs: dict[str, Shape | None],
    declared_outputs: dict[str, Shape | None],
    at_reference: Graph,
    references: dict[str, tuple[int, ...]],
    at_probe: Graph,
    probe: dict[str, tuple[int, ...]],
) -> dict[str, Shape | None]:
    """Output shapes of a dynamic model, from two sizes: a dim that moves with an input dim
    takes its name, one that stays put is a size."""
    moving = {}
    for name, shape in declared_inputs.items():
        for i, dim in enumerate(shape or ()):
            if not isinstance(dim, int) and name in references:
                moving.setdefault((references[name][i], probe[name][i]), dim)
    shown = {}
    for name, declared in declared_outputs.items():
        a, b = at_reference.tensors[name].shape, at_probe.tensors[name].shape
        if a is None or b is None or len(a) != len(b):
            shown[name] = declared
            continue
        dims: list = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if isinstance(x, int) and x == y:
                dims.append(x)
            elif (x, y) in moving:
                dims.append(moving[(x, y)])
            else:
                old = declared[i] if declared is not None and i < len(declared) else None
                dims.append(old if isinstance(old, str) else None)
        shown[name] = tuple(dims)
    return shown


def _contents(path: Path, fmt: str) -> bytes | mmap.mmap | None:
    """The file's bytes, read once for both parsing and hashing; a TFLite flatbuffer is mapped,
    not read, since the reader touches only its small metadata tables."""
    if fmt == "tfjs":
        return None
    if fmt == "tflite":
        with path.open("rb") as stream:
            return mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    return path.read_bytes()


def inspect(path: Path | str, input_shapes: dict[str, tuple[int, ...]] | None = None) -> ModelReport:
    """Read a model file and compute every figure; raises ModelError with a one-line reason.

    Whatever a file holds, what comes out is a report or a ModelError naming the file and the
    cause; an InternalError (with the exception's type) is a bug in posezoo, not in the file.
    """
    from catalog.extras import require

    require("inspect", "catalog.inspect")  # onnx and LiteRT's schema: a MissingExtra says to install them
    path = Path(path)
    try:
        return _inspect(path, input_shapes)
    except ModelError as error:
        if error.reason.isprintable():
            raise
        raise ModelError(error.where, _printable(error.reason)) from None
    except PosezooError:
        raise
    except GraphError as error:
        raise ModelError(str(path), _printable(str(error))) from None
    except MemoryError:
        raise ModelError(str(path), "too large to read into memory") from None
    except OSError as error:
        raise ModelError(str(path), f"cannot read ({error.strerror or error})") from None
    except Exception as error:
        first_line = (str(error).strip().splitlines() or [""])[0][:300]
        raise InternalError(str(path), _printable(f"{type(error).__name__}: {first_line}")) from error


def _printable(reason: str) -> str:
    """A reason on one line: names from the file may hold newlines and other control characters."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in reason)


def _inspect(path: Path, input_shapes: dict[str, tuple[int, ...]] | None) -> ModelReport:
    fmt = detect_format(path)
    try:
        data = _contents(path, fmt)
    except OSError as error:
        raise ModelError(str(path), f"cannot read ({error.strerror or error})") from None
    document = _model_json(path, fmt)
    known = known_sha256(path)
    # the mapping closes when the last view into it (numpy arrays of the reader) is gone
    with ThreadPoolExecutor(max_workers=1) as pool:
        # hashlib releases the GIL on large buffers: the hash runs beside the parse
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest()) if data is not None and not known else None
        graph = read_graph(path, fmt, data, document)
        sha256 = known or (digest.result() if digest else None)
        if sha256 is not None and not known:
            remember(path, sha256)
        return _report(path, fmt, graph, data, sha256, input_shapes, document)


def _report(
    path: Path,
    fmt: str,
    graph: Graph,
    data: bytes | None,
    digest: str | None,
    input_shapes: dict[str, tuple[int, ...]] | None,
    document: dict | None = None,
) -> ModelReport:
    unknown = set(input_shapes or {}) - set(graph.inputs)
    if unknown:
        raise ModelError(str(path), f"--input-shape names no input of this model: {', '.join(sorted(unknown))}")
    declared_inputs = {name: graph.tensors[name].shape for name in graph.inputs}
    if fmt != "onnx":
        infer_shapes(graph)
    declared_outputs = {name: graph.tensors[name].shape for name in graph.outputs}
    try:
        references, sources = _references(graph, input_shapes or {})
    except ModelError as error:
        raise ModelError(str(path), error.reason) from None
    if references:
        graph = _resolved(path, fmt, data, references, graph, document)
        probe = {
            name: tuple(
                d + 1 if not isinstance(declared, int) else d
                for d, declared in zip(shape, declared_inputs[name] or (), strict=True)
            )
            for name, shape in references.items()
        }
        at_probe = _resolved(path, fmt, data, probe, document=document)
        outputs_shown = _symbolic_outputs(declared_inputs, declared_outputs, graph, references, at_probe, probe)
    else:
        outputs_shown = {name: _merge(declared_outputs[name], graph.tensors[name].shape) for name in graph.outputs}
    figures = metrics.compute(graph)
    files = [
        FileInfo(str(f), len(data), digest)
        if data is not None and digest is not None and f == path
        else FileInfo(str(f), f.stat().st_size, sha256_file(f))
        for f in _files(path, fmt, document)
    ]
    size = sum(f.size_bytes for f in files)
    _check_figures(path, figures, size)
    return ModelReport(
        path=str(path),
        format=fmt,
        size_bytes=size,
        size_mib=round(size / MIB, 4),
        sha256=files[0].sha256,
        inputs=_tensor_infos(graph, graph.inputs, declared_inputs),
        outputs=_tensor_infos(graph, graph.outputs, outputs_shown),
        reference_shapes={name: list(shape) for name, shape in references.items()},
        reference_source=sources,
        precision=figures.precision,
        precision_split=figures.precision_split,
        quantization=figures.quantization,
        quantization_format=figures.quantization_format,
        params=figures.params,
        sparse_params=figures.sparse_params,
        macs=figures.macs,
        flops=figures.flops,
        ops=[row.to_dict() for row in figures.ops],
        files=files if fmt == "tfjs" else [],
        unresolved_ops=figures.unresolved_ops,
        notes=[*graph.notes, *figures.notes],
    )
