"""The format-neutral graph IR that every reader produces and every figure is computed from.

Op types use the ONNX operator vocabulary (`Conv`, `Add`, `Resize`...), whatever the file
called them; the file's own name is kept in `Op.native` so per-op tables speak the file's
language. Attributes are normalised by the readers (see `Op` below).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Dim = int | str | None  # a size, a symbolic name for a dynamic size, or unknown
Shape = tuple[Dim, ...]

FLOAT_DTYPES = frozenset({"float64", "float32", "float16", "bfloat16"})
QUANTIZED_DTYPES = frozenset({"int8", "uint8", "int4", "uint4", "int16"})


class GraphError(Exception):
    """A graph no model can have: a cycle, an input nothing produces, an impossible shape or setting.

    Raised without the file's name, which the reader or `inspect` adds (as a ModelError); not a
    ValueError, so that no `except ValueError` on the way mistakes it for a value it may skip.
    """


@dataclass
class Tensor:
    name: str
    dtype: str
    shape: Shape | None = None  # None: rank unknown
    const: bool = False  # stored in the file (initializer, buffer, weight)
    value: np.ndarray | None = None  # small constants and shape arithmetic, known at load
    quantized: bool = False  # carries a scale / zero-point
    sparse: bool = False  # stored sparse; counted at its dense size
    dense_shape: tuple[int, ...] | None = None  # for sparse tensors

    @property
    def elements(self) -> int | None:
        shape = self.dense_shape or self.shape
        if shape is None or not all(isinstance(d, int) for d in shape):
            return None
        return math.prod(shape)

    @property
    def is_static(self) -> bool:
        return self.shape is not None and all(isinstance(d, int) for d in self.shape)


@dataclass
class Op:
    """One operation.

    Normalised attributes the shape inference and metrics rely on:
    - `layout`: "NHWC" or "NCHW" for spatial ops.
    - Conv / ConvTranspose / pools: `kernel_shape`, `strides`, `dilations`, `pads`
      (begin..., end...) or `auto_pad` ("SAME_UPPER" | "VALID"), `group` or `depthwise`
      (group = input channels), `out_channels`.
    - `bias`: the op adds a bias; `activation`: a fused activation name or absent.
    - `plain_inputs`: for a quantized op (ONNX's QLinearConv, ConvInteger...), where the inputs
      of the plain op it computes sit, in that op's order; its other inputs are scales and zero
      points. `type` is the plain op's (`Conv`), `native` the file's (`QLinearConv`).
    - `setting_inputs`: inputs that hold settings (a quantizer's scale), not weights.
    """

    type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    native: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        if not self.native:
            self.native = self.type

    def plain(self) -> Op:
        """The plain op a quantized op computes, its scales and zero points left out (QLinearConv:
        a Conv of x, w and B); any other op as it is. Shape rules and MACs read this form."""
        slots = self.attrs.get("plain_inputs")
        if slots is None:
            return self
        inputs = [self.inputs[i] if i < len(self.inputs) else "" for i in slots]
        while inputs and not inputs[-1]:
            inputs.pop()
        attrs = {key: value for key, value in self.attrs.items() if key != "plain_inputs"}
        return Op(self.type, inputs, self.outputs, attrs, self.native, self.name)


@dataclass
class Graph:
    format: str  # "onnx" | "tflite" | "tfjs" | "pb"
    tensors: dict[str, Tensor]
    ops: list[Op]
    inputs: list[str]
    outputs: list[str]
    # sizes a format states for dynamic inputs (e.g. a TFJS signature), keyed by input name
    stated_input_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def tensor(self, name: str) -> Tensor:
        return self.tensors[name]

    def shape(self, name: str) -> Shape | None:
        tensor = self.tensors.get(name)
        return None if tensor is None else tensor.shape

    def consumers(self) -> dict[str, list[Op]]:
        found: dict[str, list[Op]] = {}
        for op in self.ops:
            for name in op.inputs:
                if name:
                    found.setdefault(name, []).append(op)
        return found
