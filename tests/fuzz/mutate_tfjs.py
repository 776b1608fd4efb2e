"""TFJS mutations: structured edits of model.json and its weights manifest (missing keys, wrong
types, bad shapes and dtypes, paths and symlinks leaving the folder, node cycles, huge attribute
values, deep nesting, JSON's non-finite numbers), gzip-compressed model.json and gzip bombs."""

from __future__ import annotations

import functools
import gzip
import random
from collections.abc import Callable, Iterator
from typing import Any

from tests.fuzz import mutate_bytes
from tests.fuzz.case import OUTSIDE_TOKEN, Mutation
from tests.fuzz.seeds import TFJS_WEIGHTS, Seed, dump_json, tfjs_model

Document = dict[str, Any]
Slot = tuple[Any, Any]  # a container (dict or list) and a key or index in it

STRANGE_VALUES: list[Any] = [None, 0, -1, 1.5, "", "x", "-1", [], {}, [[]], True, 2**40, -(2**31), "\u0000",
                             "é" * 1000, [None], {"size": "1"}]  # fmt: skip
BIG_INTEGER = "@5000-DIGIT-INTEGER@"  # json.dumps refuses to write one: put in as text
BAD_SIZES: list[Any] = [-2, -(2**31), 2**31, 2**40, 2**62, 0, "3", "abc", 1.5, None, [], "1e3", "0x10"]


def _slots(value: Any) -> Iterator[Slot]:
    """Every (container, key) in the document, depth first."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield value, key
            yield from _slots(child)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield value, index
            yield from _slots(child)


def _path_of(document: Document, target: Slot) -> str:
    def search(value: Any, path: str) -> str | None:
        if value is target[0]:
            return f"{path}[{target[1]!r}]"
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
        for key, child in children:
            found = search(child, f"{path}[{key!r}]")
            if found:
                return found
        return None

    return search(document, "") or "?"


def _node(document: Document, name: str) -> dict:
    return next(n for n in document["modelTopology"]["node"] if n["name"] == name)


def _manifest_entry(document: Document, name: str) -> dict:
    return next(w for w in document["weightsManifest"][0]["weights"] if w["name"] == name)


# --------------------------------------------------------------------------- document edits
# each edits the document in place and says what it did; some also return extra case files

DocumentEdit = Callable[[Document, random.Random], str]


def missing_key(document: Document, rng: random.Random) -> str:
    container, key = rng.choice([s for s in _slots(document) if isinstance(s[0], dict)])
    path = _path_of(document, (container, key))
    del container[key]
    return f"remove {path}"


def wrong_type(document: Document, rng: random.Random) -> str:
    container, key = rng.choice(list(_slots(document)))
    path = _path_of(document, (container, key))
    value = rng.choice(STRANGE_VALUES)
    container[key] = value
    return f"{path} = {value!r:.30}"


def bad_manifest_shape(document: Document, rng: random.Random) -> str:
    entry = rng.choice(document["weightsManifest"][0]["weights"])
    shape = list(entry["shape"]) or [1]
    choice = rng.randrange(4)
    if choice == 0:
        shape[rng.randrange(len(shape))] = rng.choice(BAD_SIZES)
    elif choice == 1:
        shape = rng.choice([[2**20, 2**20], [2**31, 2**31, 0], [-1, -1], [-2, -2], [1] * 64, [2**62, 4]])
    elif choice == 2:
        shape = rng.choice([None, "3,3", 7, {"dim": 3}, [[3], [3]]])
    else:
        shape = [*shape, *rng.choice([[0], [2**31], [-3]])]
    entry["shape"] = shape
    return f"weight {entry['name']} shape {shape!r:.60}"


def bad_placeholder_shape(document: Document, rng: random.Random) -> str:
    shape = _node(document, "input")["attr"]["shape"]["shape"]
    choice = rng.randrange(4)
    if choice == 0:
        shape["dim"][rng.randrange(4)]["size"] = str(rng.choice([-2, -(2**31), 2**40, 0, "abc", 2**62]))
    elif choice == 1:
        shape["unknownRank"] = True
        del shape["dim"]
    elif choice == 2:
        shape["dim"] = [{"size": "1"}] * rng.choice([0, 1, 3, 9, 100])
    else:
        shape["dim"] = [{"size": str(2**40)}] * 4
    signature = document["signature"]["inputs"]["input:0"]["tensorShape"]
    if rng.random() < 0.5:
        signature.clear()
        signature.update(shape)
    return f"input shape {shape!r:.60}"


def unknown_dtype(document: Document, rng: random.Random) -> str:
    entry = rng.choice(document["weightsManifest"][0]["weights"])
    dtype = rng.choice(["float64", "complex128", "string", "bogus", "", "uint4", "bfloat16", "int4"])
    if rng.random() < 0.5:
        entry["dtype"] = dtype
        return f"weight {entry['name']} dtype {dtype!r}"
    entry["quantization"] = rng.choice([{"dtype": dtype}, {"dtype": "uint8", "scale": float("nan")},
                                        {"dtype": "uint8"}, {"dtype": "uint16", "min": 0, "scale": 1e308},
                                        {"dtype": "float16", "scale": "x"}])  # fmt: skip
    return f"weight {entry['name']} quantization {entry['quantization']}"


def unknown_attr_type(document: Document, rng: random.Random) -> str:
    node = rng.choice([n for n in document["modelTopology"]["node"] if "attr" in n])
    key = rng.choice(list(node["attr"]))
    value = rng.choice([{"type": "DT_BOGUS"}, {"type": "DT_STRING"}, {"s": "!!not base64!!"}, {"i": "x"},
                        {"f": "nan"}, {"list": {"i": ["1", "x"]}}, {"list": {"f": []}}, {"tensor": 1},
                        {"shape": {"dim": [{"size": "abc"}]}}, {"func": {}}, {}])  # fmt: skip
    node["attr"][key] = value
    return f"{node['name']}.{key} = {value}"


def cycle(document: Document, rng: random.Random) -> str:
    nodes = document["modelTopology"]["node"]
    choice = rng.randrange(4)
    if choice == 0:
        node = rng.choice([n for n in nodes if n.get("input")])
        node["input"][0] = node["name"]
        return f"{node['name']} feeds itself"
    if choice == 1:
        _node(document, "relu")["input"] = ["Identity"]
        return "relu and Identity feed each other"
    if choice == 2:
        _node(document, "conv")["input"][0] = "add"
        return "conv is fed by add, downstream of it"
    _node(document, "relu")["input"].append("^relu")
    return "relu has a control input on itself"


def huge_attribute(document: Document, rng: random.Random) -> str:
    name, key, value = rng.choice([
        ("split", "num_split", {"i": str(2**40)}), ("split", "num_split", {"i": "-1"}),
        ("split", "num_split", {"i": str(10**6)}), ("split", "num", {"i": str(2**40)}),
        ("conv", "strides", {"list": {"i": ["1", "0", "0", "1"]}}),
        ("conv", "strides", {"list": {"i": ["1", str(2**40), "1", "1"]}}),
        ("conv", "strides", {"list": {"i": ["1"]}}),
        ("conv", "dilations", {"list": {"i": ["1", "0", str(-(2**31)), "1"]}}),
        ("conv2", "padding", {"s": "RVhQTElDSVQ="}),  # EXPLICIT, without explicit_paddings
        ("conv2", "explicit_paddings", {"list": {"i": ["0"] * 3}}),
        ("conv2", "data_format", {"s": "TkNIVw=="}),  # NCHW on NHWC data
        ("conv2", "data_format", {"s": "WFla"}),  # XYZ
        ("relu", "T", {"i": "99999999999999999999999999"}),
        ("conv", "epsilon", {"f": 1e308}),
    ])  # fmt: skip
    node = _node(document, name)
    node.setdefault("attr", {})[key] = value
    if name == "split" and key == "num" and value["i"] != "-1":
        node["op"] = "Unpack"
    return f"{name}.{key} = {value}"


def json_specials(document: Document, rng: random.Random) -> str:
    """Numbers JSON cannot hold but Python's json reads: NaN, Infinity, a 5000-digit integer."""
    entry = rng.choice(document["weightsManifest"][0]["weights"])
    value = rng.choice([float("nan"), float("inf"), float("-inf"), BIG_INTEGER, 1e300])
    if entry["shape"]:
        entry["shape"][0] = value
    else:
        entry["shape"] = [value]
    return f"weight {entry['name']} shape[0] = {str(value)[:12]}"


def duplicates(document: Document, rng: random.Random) -> str:
    nodes = document["modelTopology"]["node"]
    choice = rng.randrange(4)
    if choice == 0:
        nodes.append(dict(rng.choice(nodes)))
        return "a node twice"
    if choice == 1:
        weights = document["weightsManifest"][0]["weights"]
        weights.append(dict(weights[0]))
        return "a weight twice in the manifest"
    if choice == 2:
        nodes.append({"name": "orphan", "op": "Const"})
        return "a Const with no weight"
    document["weightsManifest"][0]["paths"].append(TFJS_WEIGHTS)
    return "the weights file named twice"


def many_nodes(document: Document, rng: random.Random) -> str:
    count = rng.choice([2_000, 20_000])
    nodes = document["modelTopology"]["node"]
    previous = "relu"
    for index in range(count):
        nodes.append({"name": f"chain{index}", "op": "Relu", "input": [previous]})
        previous = f"chain{index}"
    _node(document, "Identity")["input"] = [previous]
    return f"{count} Relu nodes in a chain"


DOCUMENT_EDITS: dict[str, DocumentEdit] = {
    "missing-key": missing_key,
    "wrong-type": wrong_type,
    "bad-manifest-shape": bad_manifest_shape,
    "bad-placeholder-shape": bad_placeholder_shape,
    "unknown-dtype": unknown_dtype,
    "unknown-attr-type": unknown_attr_type,
    "cycle": cycle,
    "huge-attribute": huge_attribute,
    "json-specials": json_specials,
    "duplicates": duplicates,
    "many-nodes": many_nodes,
}


def document_mutation(name: str) -> Callable[[Seed, random.Random], Mutation]:
    def mutate(seed: Seed, rng: random.Random) -> Mutation:
        document, weights = tfjs_model()
        detail = DOCUMENT_EDITS[name](document, rng)
        text = dump_json(document).replace(f'"{BIG_INTEGER}"'.encode(), b"1" + b"0" * 5000)
        return Mutation(detail, {seed.entry: text, TFJS_WEIGHTS: weights})

    return mutate


# ------------------------------------------------------------------------------ files on disk


def path_escape(seed: Seed, rng: random.Random) -> Mutation:
    document, weights = tfjs_model()
    outside = OUTSIDE_TOKEN.decode()
    path, refuse = rng.choice([
        (f"../outside/{TFJS_WEIGHTS}", True), (f"{outside}/{TFJS_WEIGHTS}", True), ("/dev/zero", True),
        (f"sub/../../outside/{TFJS_WEIGHTS}", True), ("/etc/passwd", True), (".", False), ("", False),
        ("missing.bin", False), ("sub/", False), ("model.json", False), (f"./{TFJS_WEIGHTS}", False),
    ])  # fmt: skip
    document["weightsManifest"][0]["paths"] = [path]
    files = {seed.entry: dump_json(document)}
    if not refuse:
        files[TFJS_WEIGHTS] = weights
    return Mutation(f"weights path {path!r}", files, outside={TFJS_WEIGHTS: weights}, must_refuse=refuse)


def symlink_escape(seed: Seed, rng: random.Random) -> Mutation:
    document, weights = tfjs_model()
    return Mutation(f"{TFJS_WEIGHTS} is a symlink to a file outside the folder", {seed.entry: dump_json(document)},
                    outside={TFJS_WEIGHTS: weights}, symlinks={TFJS_WEIGHTS: TFJS_WEIGHTS},
                    must_refuse=True)  # fmt: skip


def deep_nesting(seed: Seed, rng: random.Random) -> Mutation:
    depth = rng.choice([1_000, 100_000, 1_000_000])
    opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
    document, weights = tfjs_model()
    text = dump_json(document).decode()
    where = rng.choice(['"library": {}', '"signature": {', '"attr": {'])
    nested = opener * depth + "1" + closer * depth
    replacement = {'"library": {}': f'"library": {nested}', '"signature": {': f'"signature": {{"deep": {nested}, ',
                   '"attr": {': f'"attr": {{"deep": {nested}, '}[where]  # fmt: skip
    text = text.replace(where, replacement, 1)
    return Mutation(f"{opener} nested {depth} deep at {where}", {seed.entry: text.encode(), TFJS_WEIGHTS: weights})


@functools.cache
def _zeros_member() -> bytes:
    return gzip.compress(bytes(2**24), compresslevel=9, mtime=0)


def gzip_bomb(expanded_bytes: int) -> bytes:
    """A small gzip file that expands to about `expanded_bytes` of zero bytes: 16 MiB members,
    each about 16 KiB compressed, concatenated (gzip reads every member of a file)."""
    return _zeros_member() * max(1, expanded_bytes // 2**24)


def gzipped(seed: Seed, rng: random.Random) -> Mutation:
    document, weights = tfjs_model()
    text = dump_json(document)
    choice = rng.randrange(5)
    if choice == 0:
        data, detail = gzip.compress(text, mtime=0), "gzip-compressed model.json"
    elif choice == 1:
        compressed = gzip.compress(text, mtime=0)
        data, detail = compressed[: rng.randrange(2, len(compressed))], "truncated gzip"
    elif choice == 2:
        data, detail = mutate_bytes.flip_bits(gzip.compress(text, mtime=0), rng)
        detail = f"gzip, then {detail}"
    elif choice == 3:
        size = rng.choice([2**31, 2**32])
        data, detail = gzip_bomb(size), f"gzip bomb expanding to {size >> 20} MiB"
    else:
        data, detail = gzip.compress(gzip.compress(text, mtime=0), mtime=0), "gzip inside gzip"
    return Mutation(detail, {seed.entry: data, TFJS_WEIGHTS: weights})


def text_bytes(seed: Seed, rng: random.Random) -> Mutation:
    """Byte mutations of model.json's text, or of the weights file."""
    name = rng.choice([seed.entry, seed.entry, TFJS_WEIGHTS])
    data, detail = mutate_bytes.mutate(seed.files[name], rng)
    return Mutation(f"{name}: {detail}", {**seed.files, name: data})


MUTATORS: dict[str, Callable[[Seed, random.Random], Mutation]] = {
    **{f"tfjs.{name}": document_mutation(name) for name in DOCUMENT_EDITS},
    "tfjs.path-escape": path_escape,
    "tfjs.symlink-escape": symlink_escape,
    "tfjs.deep-nesting": deep_nesting,
    "tfjs.gzip": gzipped,
    "tfjs.bytes": text_bytes,
}
