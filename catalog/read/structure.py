"""Structural checks on the IR, once per graph and linear in its size: an order the ops can run in,
inputs that something produces, settings the shape rules can use, shapes within the limits.

Every reader runs them on the graph it made, so that shape inference and the figures only ever
see a graph that could run; what fails is a GraphError, which the reader turns into a ModelError
naming the file.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from catalog.read.graph import Graph, GraphError, Op, Shape
from catalog.read.limits import MAX_OP_OUTPUTS, MAX_TENSOR_ELEMENTS

WINDOWED = frozenset({"Conv", "ConvTranspose", "MaxPool", "AveragePool"})
AUTO_PADS = frozenset({"NOTSET", "", "SAME", "SAME_UPPER", "SAME_LOWER", "VALID"})
# integer-list settings the shape rules read, and the least value each element may take (None: any)
_WINDOW_LISTS = {"kernel_shape": 1, "strides": 1, "dilations": 1, "pads": 0}
_OTHER_LISTS = {"axes": None, "perm": 0, "split": 0, "shape": None}
# integer settings: of windowed ops (each at least 1), and of any op (any value)
_WINDOW_INTS = ("group", "depth_multiplier")
_CHANNELS = ("out_channels", "kernel_in_channels", "kernel_out_channels")  # an int >= 1, or unknown
_OTHER_INTS = frozenset({"axis", "begin_mask", "end_mask", "shrink_axis_mask", "new_axis_mask", "ellipsis_mask"})
_LIST_TEXT_LIMIT = 8  # values of a bad setting shown in a message


def op_label(op: Op) -> str:
    return f"op {op.name} ({op.native})"


def shape_problem(shape: Sequence[Any]) -> str | None:
    """Why a shape cannot be a tensor's (a negative dim, too many elements), or None."""
    try:  # the usual case, all sizes and all fine, in three calls into C
        if min(shape, default=0) >= 0 and max(shape, default=0) <= MAX_TENSOR_ELEMENTS >= math.prod(shape):
            return None
    except TypeError:  # names or unknown dims among the sizes
        pass
    elements = 1
    for dim in shape:
        if isinstance(dim, int | np.integer):
            if dim < 0:
                return f"has a negative dim {int(dim)}"
            if dim > MAX_TENSOR_ELEMENTS:
                return f"has a dim of {int(dim):,}, past the limit of 2^{MAX_TENSOR_ELEMENTS.bit_length() - 1} elements"
            elements *= int(dim)
    if elements > MAX_TENSOR_ELEMENTS:
        return f"has {elements:,} elements, past the limit of 2^{MAX_TENSOR_ELEMENTS.bit_length() - 1}"
    return None


def file_shape(dims: Iterable[Any], name: str) -> Shape:
    """Dims as a file states them: -1 means unknown (None), a name stays a name; any other
    negative dim, or a tensor past the element limit, is refused."""
    shape = tuple(d if d is None or isinstance(d, str) else None if d == -1 else int(d) for d in dims)
    problem = shape_problem(shape)
    if problem:
        raise GraphError(f"tensor {name} {problem}")
    return shape


def check_graph(graph: Graph, *, unproduced_reads: bool = False) -> None:
    """Put the ops in an order they can run in, and check what shape inference relies on.

    `unproduced_reads`: ops may read tensors nothing produces (TFLite's variable tensors, which
    the runtime allocates); elsewhere that is a damaged graph.
    """
    producers = _producers(graph.ops)
    in_order = _check_reads(graph, producers, unproduced_reads)
    if not in_order:
        graph.ops = _run_order(graph.ops, producers)
    for op in graph.ops:
        check_settings(op)


def _producers(ops: list[Op]) -> dict[str, int]:
    producers: dict[str, int] = {}
    for index, op in enumerate(ops):
        if len(op.outputs) > MAX_OP_OUTPUTS:
            raise GraphError(f"{op_label(op)} has {len(op.outputs):,} outputs, past the limit of {MAX_OP_OUTPUTS:,}")
        for name in op.outputs:
            if name and producers.setdefault(name, index) != index:
                first = ops[producers[name]]
                raise GraphError(f"tensor {name} is written by both {op_label(first)} and {op_label(op)}")
    return producers


def _check_reads(graph: Graph, producers: dict[str, int], unproduced_reads: bool) -> bool:
    """Every input is produced, a graph input or known at load; returns whether the file's own
    order of the ops runs (each after the ops it reads), the usual case."""
    inputs = set(graph.inputs)
    in_order = True
    for index, op in enumerate(graph.ops):
        for name in op.inputs:
            producer = producers.get(name)
            if producer is not None:
                in_order = in_order and producer < index
                continue
            if not name or name in inputs:
                continue
            tensor = graph.tensors.get(name)
            if tensor is not None and (tensor.const or tensor.value is not None or unproduced_reads):
                continue
            raise GraphError(f"{op_label(op)} reads tensor {name}, which nothing produces")
    return in_order


def _run_order(ops: list[Op], producers: dict[str, int]) -> list[Op]:
    """The ops sorted by Kahn's algorithm, ties in the file's order (for a file whose own order
    does not run); a cycle is refused, named."""
    waiting = [0] * len(ops)  # inputs of each op whose producer has not run yet
    consumers: list[list[int]] = [[] for _ in ops]
    for index, op in enumerate(ops):
        for name in set(op.inputs):
            producer = producers.get(name) if name else None
            if producer is not None:
                waiting[index] += 1
                consumers[producer].append(index)
    ready = [index for index, count in enumerate(waiting) if not count]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for consumer in consumers[index]:
            waiting[consumer] -= 1
            if not waiting[consumer]:
                heapq.heappush(ready, consumer)
    if len(order) < len(ops):
        raise GraphError(_cycle(ops, producers, waiting))
    return [ops[index] for index in order]


def _cycle(ops: list[Op], producers: dict[str, int], waiting: list[int]) -> str:
    """Name the ops of one cycle: from any op that never became ready, step to a producer that
    never did either, until an op comes round again."""
    seen: dict[int, int] = {}
    path: list[int] = []
    index = next(i for i, count in enumerate(waiting) if count)
    while index not in seen:
        seen[index] = len(path)
        path.append(index)
        index = next(producers[name] for name in ops[index].inputs if name in producers and waiting[producers[name]])
    loop = path[seen[index] :][::-1]  # in the direction the data flows
    shown = [op_label(ops[i]) for i in loop[:_LIST_TEXT_LIMIT]] + (["..."] if len(loop) > _LIST_TEXT_LIMIT else [])
    return f"the graph has a cycle: {' -> '.join(shown)} -> {op_label(ops[loop[0]])}"


def check_settings(op: Op) -> None:
    """The settings the shape rules and figures read have the type and range they need."""
    if op.type in WINDOWED:
        _check_window(op)
    elif op.type == "DepthToSpace":
        _int_setting(op, "blocksize", least=1, required=True)
    for key in op.attrs:
        if key in _OTHER_LISTS:
            _int_list(op, key, least=_OTHER_LISTS[key])
        elif key in _OTHER_INTS:
            _int_setting(op, key, least=None)


def _check_window(op: Op) -> None:
    kernel = _int_list(op, "kernel_shape", 1)
    for key, least, per_dim in (("strides", 1, 1), ("dilations", 1, 1), ("pads", 0, 2)):
        values = _int_list(op, key, least)
        if values is not None and kernel is not None and len(values) != per_dim * len(kernel):
            raise GraphError(f"{op_label(op)}: {key} {_text(values)} has {len(values)} values, "
                             f"kernel_shape {_text(kernel)} needs {per_dim * len(kernel)}")  # fmt: skip
    auto_pad = op.attrs.get("auto_pad")
    if auto_pad is not None and (not isinstance(auto_pad, str) or auto_pad not in AUTO_PADS):
        raise GraphError(f"{op_label(op)}: auto_pad {_text(auto_pad)} is none of {', '.join(sorted(AUTO_PADS - {''}))}")
    for key in _WINDOW_INTS:
        value = op.attrs.get(key)
        if value is not None and not (type(value) is int and value >= 1):
            _int_setting(op, key, least=1)
    for key in _CHANNELS:
        value = op.attrs.get(key)  # a name where a weight fed as an input has a symbolic size
        if value is not None and not (type(value) is int and value >= 1) and not isinstance(value, str):
            _int_setting(op, key, least=1)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _int_list(op: Op, key: str, least: int | None) -> list[int] | None:
    values = op.attrs.get(key)
    if values is None:
        return None
    if type(values) is not list or not all(type(v) is int for v in values):  # the usual case first
        if isinstance(values, np.ndarray):
            values = values.tolist()
        if not isinstance(values, list | tuple) or not all(_is_int(v) for v in values):
            raise GraphError(f"{op_label(op)}: {key} {_text(values)} must be a list of integers")
    if least is not None and min(values, default=least) < least:
        bound = "positive" if least == 1 else "non-negative" if least == 0 else f"at least {least}"
        raise GraphError(f"{op_label(op)}: {key} {_text(values)} must be {bound}")
    return values


def _int_setting(op: Op, key: str, least: int | None, required: bool = False) -> None:
    value = op.attrs.get(key)
    if value is None:
        if required:
            raise GraphError(f"{op_label(op)}: {key} is missing")
        return
    if type(value) is not int and not _is_int(value):
        raise GraphError(f"{op_label(op)}: {key} {_text(value)} must be an integer")
    if least is not None and value < least:
        raise GraphError(f"{op_label(op)}: {key} {int(value)} must be at least {least}")


def _text(value: Any) -> str:
    """A setting as a message shows it, on one line: short lists whole, long ones cut, numbers and
    text by repr, anything else (a tensor, a graph) by its type."""
    if isinstance(value, list | tuple):
        shown = [_text(v) if not _is_int(v) else str(int(v)) for v in value[:_LIST_TEXT_LIMIT]]
        return "[" + ", ".join(shown + (["..."] if len(value) > _LIST_TEXT_LIMIT else [])) + "]"
    if not isinstance(value, str | bytes | int | float | np.number):
        return f"(a {type(value).__name__})"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
