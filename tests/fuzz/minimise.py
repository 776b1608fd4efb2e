"""Shrink a failing case while it keeps failing the same way (same class, same place).

Files the failure does not need are dropped; an ONNX model loses nodes, initializers and
attributes, a GraphDef nodes and their inputs, a TFLite model its operators, a JSON file every
key and list item it can spare; then any file loses lines and byte ranges, halves first, by
delta debugging. Each try is one inspect in a worker, so the search stops at a number of tries
or seconds, keeping the smallest case found so far.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.fuzz.case import Case
from tests.fuzz.mutate_tflite import MODEL_EDITS
from tests.fuzz.outcome import Outcome

Check = Callable[[Case], Outcome]


class _Budget:
    def __init__(self, seconds: float, tries: int) -> None:
        self.deadline, self.tries = time.monotonic() + seconds, tries

    def spend(self) -> bool:
        self.tries -= 1
        return self.tries >= 0 and time.monotonic() < self.deadline


class _Search:
    """The smallest case so far that still fails with `signature`."""

    def __init__(self, case: Case, signature: tuple[str, str], check: Check, budget: _Budget) -> None:
        self.best, self.signature, self.check, self.budget = case, signature, check, budget

    def keeps_failing(self, candidate: Case) -> bool:
        if not self.budget.spend():
            return False
        if self.check(candidate).signature != self.signature:
            return False
        self.best = candidate
        return True

    def exhausted(self) -> bool:
        return self.budget.tries <= 0 or time.monotonic() >= self.budget.deadline


def _with_file(case: Case, name: str, data: bytes) -> Case:
    return replace(case, files={**case.files, name: data})


def _drop_files(search: _Search) -> None:
    for name in sorted(search.best.files):
        if name != search.best.entry:
            files = {k: v for k, v in search.best.files.items() if k != name}
            search.keeps_failing(replace(search.best, files=files))
    for name in sorted(search.best.outside):
        outside = {k: v for k, v in search.best.outside.items() if k != name}
        search.keeps_failing(replace(search.best, outside=outside))


def _ddmin(search: _Search, name: str, units: list[bytes]) -> list[bytes]:
    """Delta debugging over a file cut into units: try it without each of n chunks of units, n
    doubling when no chunk can go."""
    chunks = 2
    while not search.exhausted() and 2 <= chunks <= len(units):
        size = -(-len(units) // chunks)
        for start in range(0, len(units), size):
            candidate = units[:start] + units[start + size :]
            if search.keeps_failing(_with_file(search.best, name, b"".join(candidate))):
                units, chunks = candidate, max(chunks - 1, 2)
                break
        else:
            chunks *= 2
    return units


def _shrink_bytes(search: _Search, name: str) -> None:
    """Whole lines first where the file is text, then bytes."""
    data = search.best.files[name]
    if data.count(b"\n") > 2:
        data = b"".join(_ddmin(search, name, data.splitlines(keepends=True)))
    step = max(1, len(data) // 4096)  # a big file (a gzip bomb) is cut into at most 4096 pieces
    _ddmin(search, name, [data[i : i + step] for i in range(0, len(data), step)])


def _shrink_repeated(search: _Search, name: str, parse: Callable[[bytes], Any], serialise: Callable[[Any], bytes],
                     lists: Callable[[Any], list[Callable[[Any], Any]]]) -> None:  # fmt: skip
    """Drop the items of a parsed model's lists one at a time, last first, while it still fails;
    `lists` names them afresh on each pass, since dropping a node drops its attributes' list."""
    try:
        model = parse(search.best.files[name])
    except Exception:  # a file its mutation left unparseable: bytes only
        return
    changed = True
    while changed and not search.exhausted():
        changed = False
        for items_of in lists(model):
            try:
                index = len(items_of(model)) - 1
            except (IndexError, AttributeError, TypeError):
                continue
            while index >= 0 and not search.exhausted():
                candidate = parse(serialise(model))
                try:
                    del items_of(candidate)[index]
                except (IndexError, AttributeError, TypeError):
                    break
                if search.keeps_failing(_with_file(search.best, name, serialise(candidate))):
                    model, changed = candidate, True
                index -= 1


def _onnx_lists(model: Any) -> list[Callable[[Any], Any]]:
    lists: list[Callable[[Any], Any]] = [lambda m: m.graph.node, lambda m: m.graph.initializer,
                                         lambda m: m.graph.value_info, lambda m: m.functions,
                                         lambda m: m.metadata_props]  # fmt: skip
    lists += [lambda m, i=i: m.graph.node[i].attribute for i in range(len(model.graph.node))]
    return lists


def _shrink_onnx(search: _Search, name: str) -> None:
    import onnx

    def parse(data: bytes) -> onnx.ModelProto:
        model = onnx.ModelProto()
        model.ParseFromString(data)
        return model

    _shrink_repeated(search, name, parse, lambda m: m.SerializeToString(), _onnx_lists)


def _shrink_pb(search: _Search, name: str) -> None:
    from catalog.read.tf_proto import message_class

    def lists(model: Any) -> list[Callable[[Any], Any]]:
        return [lambda m: m.node] + [lambda m, i=i: m.node[i].input for i in range(len(model.node))]

    def parse(data: bytes) -> Any:
        return message_class("GraphDef").FromString(data)

    _shrink_repeated(search, name, parse, lambda m: m.SerializeToString(), lists)


def _shrink_tflite(search: _Search, name: str) -> None:
    """Operators and subgraph extras, for files the object API packed (a flatbuffer damaged in
    its bytes is not unpacked here, in the parent: its lengths could ask for anything)."""
    from ai_edge_litert import schema_py_generated as tfl

    from tests.fuzz.seeds import pack_tflite

    def lists(model: Any) -> list[Callable[[Any], Any]]:
        return [lambda m: m.subgraphs[0].operators, lambda m: m.subgraphs, lambda m: m.metadata,
                lambda m: m.signatureDefs]  # fmt: skip

    _shrink_repeated(search, name, lambda data: tfl.ModelT.InitFromPackedBuf(data, 0), pack_tflite, lists)


def _encode(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _shrink_json(search: _Search, name: str) -> None:
    """Remove whole list runs, then single keys and items, outermost first, while it still fails."""
    document = json.loads(search.best.files[name])

    def attempt() -> bool:
        return search.keeps_failing(_with_file(search.best, name, _encode(document)))

    def visit(value: Any) -> None:
        if search.exhausted():
            return
        if isinstance(value, list):
            run = len(value) // 2
            while run >= 1 and not search.exhausted():
                start = 0
                while start < len(value):
                    removed = value[start : start + run]
                    del value[start : start + run]
                    if not attempt():
                        value[start:start] = removed
                        start += run
                run //= 2
            for child in value:
                visit(child)
        elif isinstance(value, dict):
            for key in list(value):
                child = value.pop(key)
                if not attempt():
                    value[key] = child
            for child in list(value.values()):
                visit(child)

    visit(document)


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return data.lstrip()[:1] in (b"{", b"[")


def minimise(case: Case, signature: tuple[str, str], check: Check, seconds: float = 60, tries: int = 400) -> Case:
    """The smallest case found that `check` still says fails with `signature`."""
    search = _Search(case, signature, check, _Budget(seconds, tries))
    _drop_files(search)
    mutator = case.mutator.split(":")[0]
    for name in sorted(search.best.files, key=lambda n: n != search.best.entry):
        if name.endswith(".onnx"):
            _shrink_onnx(search, name)
        elif name.endswith(".pb"):
            _shrink_pb(search, name)
        elif name.endswith(".tflite") and mutator.removeprefix("tflite.") in MODEL_EDITS:
            _shrink_tflite(search, name)
        if _is_json(search.best.files[name]):
            _shrink_json(search, name)
        else:
            _shrink_bytes(search, name)
    return search.best
