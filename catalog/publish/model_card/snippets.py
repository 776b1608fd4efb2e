"""The card's runnable snippets: posezoo's pose API, onnxruntime in Python (numpy preprocessing
written from the card's preprocess record) and onnxruntime-web in JavaScript."""

from __future__ import annotations

import json
from pathlib import Path

from catalog.cards.facts import Preprocess
from catalog.publish.formatting import dims
from catalog.publish.model_card.inputs import CardInputs
from catalog.publish.model_card.markdown import Md, code, fence
from catalog.schema import TensorRecord

JS_ARRAYS = {
    "float32": "Float32Array",
    "float16": "Uint16Array",  # onnxruntime-web takes float16 data as its raw bits
    "int32": "Int32Array",
    "uint8": "Uint8Array",
    "int8": "Int8Array",
}
INTEGER_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint8": (0, 255), "int8": (-128, 127)}


def concrete_shape(tensor: TensorRecord, preprocess: Preprocess) -> list[int]:
    """The input's shape for one image: batch 1, the card's size where the file leaves it dynamic."""
    height, width = preprocess.size
    spatial = {1: height, 2: width} if preprocess.layout == "NHWC" else {2: height, 3: width}
    fallback = {0: 1, **spatial, (3 if preprocess.layout == "NHWC" else 1): 3}
    return [d if isinstance(d, int) and d > 0 else fallback.get(i, 1) for i, d in enumerate(tensor.shape)]


def _number(value: float) -> str:
    return repr(float(value))


def _range_line(low: float, high: float) -> str:
    if (low, high) == (0.0, 255.0):
        return "x = pixels  # the model takes pixels as they are, 0..255"
    if (low, high) == (0.0, 1.0):
        return "x = pixels / 255.0  # pixels onto 0..1"
    return f"x = {_number(low)} + pixels * ({_number(high - low)} / 255.0)  # pixels onto {low:g}..{high:g}"


def python_preprocess(preprocess: Preprocess) -> list[str]:
    """numpy lines turning `image` (H x W x 3 RGB uint8) into `tensor`, per the card's preprocess."""
    height, width = preprocess.size
    lines = [f"height, width = {height}, {width}  # the model's input"]
    if preprocess.resize == "letterbox":
        lines += [
            "# letterbox: keep the aspect ratio, centre the image, pad with black",
            "scale = min(height / image.shape[0], width / image.shape[1])",
            "h, w = round(image.shape[0] * scale), round(image.shape[1] * scale)",
            "top, left = (height - h) // 2, (width - w) // 2",
            "pixels = np.zeros((height, width, 3), np.float32)",
            "pixels[top : top + h, left : left + w] = resize(image, (h, w), preserve_range=True, anti_aliasing=True)",
        ]
    else:
        lines.append("pixels = resize(image, (height, width), preserve_range=True, anti_aliasing=True)  # stretch")
    if preprocess.channels == "BGR":
        lines.append("pixels = pixels[..., ::-1]  # the model takes BGR")
    low, high = preprocess.range
    lines.append(_range_line(low, high))
    if preprocess.mean is not None and preprocess.std is not None:
        mean = ", ".join(_number(m) for m in preprocess.mean)
        std = ", ".join(_number(s) for s in preprocess.std)
        lines.append(f"x = (x - np.array([{mean}])) / np.array([{std}])  # per channel")
    dtype = preprocess.dtype
    if dtype in INTEGER_RANGES:
        lowest, highest = INTEGER_RANGES[dtype]
        fits = preprocess.mean is None and lowest <= min(low, high) and max(low, high) <= highest
        lines.append("x = np.rint(x)" if fits else f"x = np.clip(np.rint(x), {lowest}, {highest})")
    transpose = ".transpose(0, 3, 1, 2)" if preprocess.layout == "NCHW" else ""
    lines.append(f"tensor = x.astype(np.{dtype})[None]{transpose}  # a batch of one, {preprocess.layout}")
    return lines


def python_string(value: str) -> str:
    """A Python string literal, double-quoted as the project writes them (JSON's escapes are Python's)."""
    return json.dumps(value)


def python_snippet_pose(card: CardInputs) -> str:
    v = card.variant
    return "\n".join(
        [
            "from skimage import data",
            "",
            "from catalog.pose import PoseEstimator",
            "",
            "# pip install posezoo: this release's catalog, and the ONNX file downloaded once and verified",
            '# (catalog="build" reads your own `posezoo build`)',
            f"estimator = PoseEstimator.from_catalog({python_string(v.id)})",
            "image = data.astronaut()  # any RGB image: H x W x 3, uint8",
            "pose = estimator.best(image)  # None when nobody is there",
            "if pose is not None:",
            f"    name = {python_string(v.keypoints.names[0])}",
            '    print(name, "at", pose[name], "score", round(pose.score, 2))  # x, y in 0..1 of the image',
        ]
    )


def python_snippet_onnxruntime(card: CardInputs) -> str:
    v = card.variant
    onnx = card.report("onnx")
    first_input = onnx.inputs[0]
    outputs = [" ".join(f"# {o.name}: {dims(o.shape)}, {o.dtype}".split()) for o in onnx.outputs]
    lines = [
        "import numpy as np",
        "import onnxruntime as ort",
        "from skimage import data",
        "from skimage.transform import resize",
        "",
        "image = data.astronaut()  # any RGB image: H x W x 3, uint8",
        *python_preprocess(v.preprocess),
        "",
        f"session = ort.InferenceSession({python_string('build/' + onnx.path)})",
        f"outputs = session.run(None, {{{python_string(first_input.name)}: tensor}})",
        *outputs,
        "for output, value in zip(session.get_outputs(), outputs):",
        "    print(output.name, value.shape, value.dtype)",
    ]
    return "\n".join(lines)


def javascript_snippet(card: CardInputs) -> str:
    onnx = card.report("onnx")
    tensor = onnx.inputs[0]
    pre = card.variant.preprocess
    shape = concrete_shape(tensor, pre)
    size = " * ".join(str(d) for d in shape)
    array = JS_ARRAYS.get(tensor.dtype, "Float32Array")
    low, high = pre.range
    normalised = "" if pre.mean is None else ", then (x - mean) / std per channel"
    output = onnx.outputs[0]
    return "\n".join(
        [
            "import * as ort from 'onnxruntime-web';",
            "",
            f"// {Path(onnx.path).name}: the ONNX file of this card, served beside the page",
            f"const session = await ort.InferenceSession.create({json.dumps(Path(onnx.path).name)});",
            "",
            f"// {pre.channels} pixels, {pre.resize} to {pre.size[0]} x {pre.size[1]}, "
            f"mapped onto {low:g}..{high:g}{normalised}, {pre.layout}",
            f"const data = new {array}({size}); // fill with the preprocessed image",
            f"const input = new ort.Tensor({json.dumps(tensor.dtype)}, data, {json.dumps(shape)});",
            f"const outputs = await session.run({{ {json.dumps(tensor.name)}: input }});",
            f"const output = outputs[{json.dumps(output.name)}]; // {output.dtype}, {dims(output.shape)}",
            "console.log(output.dims, output.data);",
        ]
    )


def usage(card: CardInputs) -> dict[str, Md]:
    v = card.variant
    if "onnx" not in v.formats:
        nothing = Md("No ONNX form was built, so there is nothing here to run.")
        return {"pose": nothing, "onnxruntime": Md(""), "javascript": Md(""), "decode": Md("")}
    two_stage = ""
    if v.detector:
        two_stage = (
            f" This model expects the crop its detector {code(v.detector)} finds: `PoseEstimator` runs both "
            "stages, the raw snippet runs this model alone on the whole image."
        )
    return {
        "pose": fence(python_snippet_pose(card), "python"),
        "onnxruntime": fence(python_snippet_onnxruntime(card), "python"),
        "javascript": fence(javascript_snippet(card), "js"),
        "decode": Md(
            f"The outputs are the model's raw tensors; {code('catalog.pose')} decodes them "
            f"(decoder {code(v.decode)}).{two_stage}"
        ),
    }
