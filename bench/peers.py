"""The peers our inspector is measured against, each run as its authors publish it.

- PocketPose's estimator: tf.lite.Interpreter for tensor shapes plus the `tflite` package for the
  op list; counts CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED (2 x MACs) and ADD, MUL (one per
  output element), with shapes read batch-dropped. Re-implemented here from its description
  (the seed's model-zoo page), since it ships in no package.
- onnx-tool: `Model(path)`, `graph.shape_infer()`, `graph.profile()` on the ONNX form.
"""

from __future__ import annotations

import numpy as np


def pocketpose_flops(path: str) -> dict:
    import tensorflow as tf
    import tflite

    interpreter = tf.lite.Interpreter(model_path=path)
    interpreter.allocate_tensors()
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    with open(path, "rb") as stream:
        model = tflite.Model.GetRootAsModel(stream.read(), 0)
    graph = model.Subgraphs(0)
    names = {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if isinstance(v, int)}
    flops = 0
    params = 0
    precision = 4
    for detail in details.values():
        if detail["dtype"] == np.float16:
            precision = 2
        elif detail["dtype"] in (np.int8, np.uint8):
            precision = 1
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
        out_shape = details[op.Outputs(0)]["shape"][1:]  # batch dropped
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            kernel = details[op.Inputs(1)]["shape"]
            cin = details[op.Inputs(0)]["shape"][-1] if name == "CONV_2D" else 1
            flops += 2 * int(np.prod(out_shape)) * int(kernel[1] * kernel[2]) * int(cin)
            params += int(np.prod(kernel))
        elif name == "FULLY_CONNECTED":
            weights = details[op.Inputs(1)]["shape"]
            flops += 2 * int(np.prod(weights))
            params += int(np.prod(weights))
        elif name in ("ADD", "MUL"):
            flops += int(np.prod(out_shape))
    return {"mflops": flops / 1e6, "mparams": params / 1e6, "precision_bytes": precision}


def onnx_tool_profile(path: str) -> dict:
    import onnx_tool

    model = onnx_tool.Model(path)
    model.graph.shape_infer()
    model.graph.profile()
    macs = model.graph.macs
    return {"mmacs": float(macs[0] if isinstance(macs, list | tuple) else macs) / 1e6,
            "mparams": model.graph.params / 1e6}  # fmt: skip
