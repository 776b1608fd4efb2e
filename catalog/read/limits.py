"""What a model file may ask of the readers: past these, a file is refused before anything is allocated.

Each limit is far past what any on-device model needs, and low enough that a damaged or hostile
file fails in well under a second and bounded memory, instead of running until it is killed.
"""

from __future__ import annotations

# a TFJS model.json holds only the topology (weights are in .bin files); the largest are a few MB
MAX_MODEL_JSON_BYTES = 64 * 2**20
# 256 GiB of fp32 in one tensor: no model that runs on a device comes near it
MAX_TENSOR_ELEMENTS = 2**36
# Unpack / Split outputs, and the highest output index a TFJS input names; real ops have a few
MAX_OP_OUTPUTS = 65_536
# weight files a TFJS manifest may name; real models name one to a few dozen shards
MAX_WEIGHT_FILES = 1_000
# every figure is reported as a JSON integer: past 2^53 a JSON reader (a double) loses digits
MAX_EXACT_FIGURE = 2**53
# nesting needs no limit of our own: a model.json nested past Python's recursion limit fails in
# json's parser (its RecursionError becomes a ModelError), and ONNX subgraphs nested past the
# protobuf parser's depth limit (100 messages) fail to parse
