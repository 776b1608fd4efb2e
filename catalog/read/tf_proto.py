"""TensorFlow's GraphDef messages, the part a frozen graph's reader needs, declared for the protobuf runtime.

Only TensorFlow ships GraphDef's generated classes, and it is an optional 1.9 GB extra here, while
the protobuf runtime comes with onnx: so the messages are declared here with TensorFlow's own
field numbers (tensorflow/core/framework/*.proto), in a pool of their own, so that they never meet
TensorFlow's classes when both are loaded. Fields not declared (a node's debug info, the function
library's contents) are kept as unknown fields and never read.
"""

from __future__ import annotations

import functools
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "posezoo.tf"
FieldType = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "string": FieldType.TYPE_STRING, "bytes": FieldType.TYPE_BYTES, "int64": FieldType.TYPE_INT64,
    "int32": FieldType.TYPE_INT32, "float": FieldType.TYPE_FLOAT, "double": FieldType.TYPE_DOUBLE,
    "bool": FieldType.TYPE_BOOL,
}  # fmt: skip
# TensorFlow's DataType enum (types.proto); the _REF kinds (+100) only appear in training graphs
DATA_TYPES = {
    "DT_INVALID": 0, "DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5,
    "DT_INT8": 6, "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9, "DT_BOOL": 10, "DT_QINT8": 11,
    "DT_QUINT8": 12, "DT_QINT32": 13, "DT_BFLOAT16": 14, "DT_QINT16": 15, "DT_QUINT16": 16,
    "DT_UINT16": 17, "DT_COMPLEX128": 18, "DT_HALF": 19, "DT_RESOURCE": 20, "DT_VARIANT": 21,
    "DT_UINT32": 22, "DT_UINT64": 23,
}  # fmt: skip
# message: (field name, number, type: a scalar above, "DataType" or a message; "repeated", "map"
# or "oneof": one field of the message's single oneof, which gives it presence, so a 0 is kept)
_MESSAGES: dict[str, list[tuple[Any, ...]]] = {
    "Dim": [("size", 1, "int64"), ("name", 2, "string")],
    "TensorShapeProto": [("dim", 2, "Dim", "repeated"), ("unknown_rank", 3, "bool")],
    "TensorProto": [
        ("dtype", 1, "DataType"), ("tensor_shape", 2, "TensorShapeProto"), ("version_number", 3, "int32"),
        ("tensor_content", 4, "bytes"), ("half_val", 13, "int32", "repeated"),
        ("float_val", 5, "float", "repeated"), ("double_val", 6, "double", "repeated"),
        ("int_val", 7, "int32", "repeated"), ("string_val", 8, "bytes", "repeated"),
        ("int64_val", 10, "int64", "repeated"), ("bool_val", 11, "bool", "repeated"),
    ],
    "ListValue": [
        ("s", 2, "bytes", "repeated"), ("i", 3, "int64", "repeated"), ("f", 4, "float", "repeated"),
        ("b", 5, "bool", "repeated"), ("type", 6, "DataType", "repeated"),
        ("shape", 7, "TensorShapeProto", "repeated"), ("tensor", 8, "TensorProto", "repeated"),
    ],
    "AttrValue": [
        ("s", 2, "bytes", "oneof"), ("i", 3, "int64", "oneof"), ("f", 4, "float", "oneof"),
        ("b", 5, "bool", "oneof"), ("type", 6, "DataType", "oneof"), ("shape", 7, "TensorShapeProto", "oneof"),
        ("tensor", 8, "TensorProto", "oneof"), ("list", 1, "ListValue", "oneof"),
        ("placeholder", 9, "string", "oneof"),
    ],
    "NodeDef": [
        ("name", 1, "string"), ("op", 2, "string"), ("input", 3, "string", "repeated"),
        ("device", 4, "string"), ("attr", 5, "AttrValue", "map"),
    ],
    "VersionDef": [("producer", 1, "int32"), ("min_consumer", 2, "int32")],
    # the library is kept as bytes: its functions are not walked, only noticed
    "GraphDef": [("node", 1, "NodeDef", "repeated"), ("library", 2, "bytes"), ("versions", 4, "VersionDef")],
}  # fmt: skip


def _add_field(message: descriptor_pb2.DescriptorProto, name: str, number: int, kind: str, label: str = "") -> None:
    field = message.field.add(name=name, number=number)
    field.label = FieldType.LABEL_REPEATED if label in ("repeated", "map") else FieldType.LABEL_OPTIONAL
    if kind in _SCALARS:
        field.type = _SCALARS[kind]
    elif kind == "DataType":
        field.type, field.type_name = FieldType.TYPE_ENUM, f".{_PACKAGE}.DataType"
    else:
        field.type, field.type_name = FieldType.TYPE_MESSAGE, f".{_PACKAGE}.{kind}"
    if label == "oneof":
        if not message.oneof_decl:
            message.oneof_decl.add(name="value")
        field.oneof_index = 0
    if label == "map":  # a map is a repeated nested entry message, keyed by string
        entry = message.nested_type.add(name=f"{name.capitalize()}Entry")
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, label=FieldType.LABEL_OPTIONAL, type=FieldType.TYPE_STRING)
        _add_field(entry, "value", 2, kind)
        field.type, field.type_name = FieldType.TYPE_MESSAGE, f".{_PACKAGE}.{message.name}.{entry.name}"


@functools.cache
def _classes() -> dict[str, Any]:
    file = descriptor_pb2.FileDescriptorProto(name="posezoo/tf_graph.proto", package=_PACKAGE, syntax="proto3")
    enum = file.enum_type.add(name="DataType")
    for name, number in DATA_TYPES.items():
        enum.value.add(name=name, number=number)
    for message_name, fields in _MESSAGES.items():
        message = file.message_type.add(name=message_name)
        for field in fields:
            _add_field(message, *field)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.{name}"))
            for name in _MESSAGES}  # fmt: skip


def message_class(name: str) -> Any:
    """The generated class of one of the messages above, e.g. `message_class("GraphDef")`."""
    return _classes()[name]


def data_type_name(number: int) -> str:
    """A DataType's name (`DT_FLOAT`), or `DT_<number>` for one this table does not know."""
    return _NAMES.get(number, f"DT_{number}")


_NAMES = {number: name for name, number in DATA_TYPES.items()}
