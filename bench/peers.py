"""The peers our inspector is measured against, each run as its authors publish it.

- PocketPose's estimator: tf.lite.Interpreter for tensor shapes plus the `tflite` package for the
  op list, op codes as max(builtin_code, deprecated_builtin_code). FLOPs: CONV_2D and
  DEPTHWISE_CONV_2D count 2·Hout·Wout·prod(filter shape), FULLY_CONNECTED 2·prod(weight shape),
  ADD and MUL the elements of their first input (not the output: a broadcast first input, as in
  squeeze-and-excitation, has fewer); nothing else. Params: the elements of the weight and bias
  inputs of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED. Re-implemented here from that rule,
  since its script ships in no package; it reproduces the seed's model-zoo page.
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
        # a missing optional input (a conv without bias) is index -1
        inputs = [details[index]["shape"] for index in op.InputsAsNumpy() if index >= 0]
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            out_shape = details[op.Outputs(0)]["shape"]  # NHWC
            flops += 2 * int(out_shape[1]) * int(out_shape[2]) * int(np.prod(inputs[1]))
            params += sum(int(np.prod(shape)) for shape in inputs[1:])
        elif name == "FULLY_CONNECTED":
            flops += 2 * int(np.prod(inputs[1]))
            params += sum(int(np.prod(shape)) for shape in inputs[1:])
        elif name in ("ADD", "MUL"):
            flops += int(np.prod(inputs[0]))
    return {"mflops": flops / 1e6, "mparams": params / 1e6, "precision_bytes": precision}


def onnx_tool_profile(path: str) -> dict:
    import onnx_tool

    model = onnx_tool.Model(path)
    model.graph.shape_infer()
    model.graph.profile()
    macs = model.graph.macs
    return {"mmacs": float(macs[0] if isinstance(macs, list | tuple) else macs) / 1e6,
            "mparams": model.graph.params / 1e6}  # fmt: skip
