"""Rewrite a converted ONNX model into canonical form, so the same network always gives the same bytes.

tf2onnx names nodes, tensors and symbolic dims from a counter global to the process, and orders nodes
and weights by those names, so what a process converted before changes the file. Canonical form
depends on the graph's structure alone: nodes in an order found by walking back from the graph
outputs, every name that is not a graph input or output derived from that order, attributes sorted
by name, no doc strings on nodes, weights or values. (onnx.compose.add_prefix_graph only prefixes
names, so the renaming is done here.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

import onnx
from onnx import AttributeProto

if TYPE_CHECKING:
    from google.protobuf.internal.containers import RepeatedCompositeFieldContainer

WEIGHT_PREFIX = "w"
TENSOR_PREFIX = "t"
GENERATED_DIM = re.compile(r"unk__\d+")  # tf2onnx's name for a dim it cannot size
SUBGRAPH_ATTRIBUTES = (AttributeProto.GRAPH, AttributeProto.GRAPHS)

Message = TypeVar("Message", onnx.NodeProto, onnx.TensorProto, onnx.ValueInfoProto, onnx.AttributeProto)


class NotCanonicalizable(ValueError):
    """The model holds something canonical form does not cover (nested graphs, functions, sparse weights)."""


def canonicalize(model: onnx.ModelProto) -> None:
    """Rewrite `model` in place into canonical form; graph input and output names stay as they are."""
    _refuse_what_is_not_covered(model)
    graph = model.graph
    nodes = structural_order(graph)
    appearance = _first_appearances(graph, nodes)
    renames = _canonical_names(graph, appearance)
    rank = {renames.get(name, name): position for position, name in enumerate(appearance)}
    for position, node in enumerate(nodes):
        _rename_node(node, position, renames)
    for value in [*graph.initializer, *graph.value_info]:
        value.name = renames.get(value.name, value.name)
        value.doc_string = ""
    _replace(graph.node, nodes)
    _replace(graph.initializer, _by_rank(graph.initializer, rank))
    _replace(graph.value_info, _by_rank(graph.value_info, rank))
    _number_generated_dims([*graph.input, *graph.output, *graph.value_info])


def structural_order(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """The nodes in a topological order that depends on the graph's structure alone.

    A depth-first walk back from the graph outputs (in their order) through each node's inputs (in
    their order), placing a node once all it reads is placed. Nodes no graph output depends on
    follow in their given order.
    """
    producers = {name: index for index, node in enumerate(graph.node) for name in node.output if name}
    placed: set[int] = set()
    order: list[int] = []
    for output in graph.output:
        if output.name in producers:
            _place_with_inputs(producers[output.name], graph, producers, placed, order)
    order += [index for index in range(len(graph.node)) if index not in placed]
    return [graph.node[index] for index in order]


def _place_with_inputs(
    start: int, graph: onnx.GraphProto, producers: dict[str, int], placed: set[int], order: list[int]
) -> None:
    if start in placed:
        return
    placed.add(start)
    # iterative: a deep network would overrun Python's recursion limit
    stack: list[tuple[int, Iterator[str]]] = [(start, iter(graph.node[start].input))]
    while stack:
        index, unread = stack[-1]
        for name in unread:
            producer = producers.get(name)
            if producer is not None and producer not in placed:
                placed.add(producer)
                stack.append((producer, iter(graph.node[producer].input)))
                break
        else:
            stack.pop()
            order.append(index)


def _first_appearances(graph: onnx.GraphProto, nodes: list[onnx.NodeProto]) -> list[str]:
    """Weight and tensor names in the order the nodes first read or write them; unread weights last."""
    weights = {tensor.name for tensor in graph.initializer}
    seen: dict[str, None] = {}
    for node in nodes:
        seen.update((name, None) for name in node.input if name in weights)
        seen.update((name, None) for name in node.output if name)
    seen.update((tensor.name, None) for tensor in graph.initializer)
    return list(seen)


def _canonical_names(graph: onnx.GraphProto, appearance: list[str]) -> dict[str, str]:
    kept = {value.name for value in [*graph.input, *graph.output]}
    weights = {tensor.name for tensor in graph.initializer}
    weight_names, tensor_names = _fresh_names(WEIGHT_PREFIX, kept), _fresh_names(TENSOR_PREFIX, kept)
    return {name: next(weight_names if name in weights else tensor_names) for name in appearance if name not in kept}


def _fresh_names(prefix: str, taken: set[str]) -> Iterator[str]:
    number = 0
    while True:
        name = f"{prefix}{number}"
        number += 1
        if name not in taken:
            yield name


def _rename_node(node: onnx.NodeProto, position: int, renames: dict[str, str]) -> None:
    node.name = f"{node.op_type}_{position}"
    node.input[:] = [renames.get(name, name) for name in node.input]
    node.output[:] = [renames.get(name, name) for name in node.output]
    node.doc_string = ""
    _replace(node.attribute, sorted(node.attribute, key=lambda attribute: attribute.name))


def _by_rank(values: Iterable[Message], rank: dict[str, int]) -> list[Message]:
    """`values` in the order their names first appear; names that never appear last, as given."""
    return sorted(values, key=lambda value: rank.get(value.name, len(rank)))


def _number_generated_dims(values: list[onnx.ValueInfoProto]) -> None:
    """unk__<counter> becomes unk__<n>, numbered in order of appearance; equal names stay equal."""
    numbers: dict[str, str] = {}
    for value in values:
        for dim in value.type.tensor_type.shape.dim:
            if GENERATED_DIM.fullmatch(dim.dim_param):
                dim.dim_param = numbers.setdefault(dim.dim_param, f"unk__{len(numbers)}")


def _refuse_what_is_not_covered(model: onnx.ModelProto) -> None:
    graph = model.graph
    nested = sorted({n.op_type for n in graph.node for a in n.attribute if a.type in SUBGRAPH_ATTRIBUTES})
    if nested:
        raise NotCanonicalizable(f"nested graphs (in {', '.join(nested)}) are not canonicalized")
    if model.functions:
        raise NotCanonicalizable("model-local functions are not canonicalized")
    if graph.sparse_initializer:
        raise NotCanonicalizable("sparse initializers are not canonicalized")


def _copy(message: Message) -> Message:
    copied = type(message)()
    copied.CopyFrom(message)
    return copied


def _replace(field: RepeatedCompositeFieldContainer[Message], messages: list[Message]) -> None:
    """Refill a repeated message field; `messages` are copied first, as clearing the field may free them."""
    copies = [_copy(message) for message in messages]
    del field[:]
    field.extend(copies)
