"""onnxruntime, set up once: the one place sessions are made, and the numpy dtype of each input type."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# onnxruntime's input type strings -> numpy dtypes
ORT_DTYPES: dict[str, np.dtype] = {
    "tensor(float)": np.dtype(np.float32),
    "tensor(float16)": np.dtype(np.float16),
    "tensor(double)": np.dtype(np.float64),
    "tensor(int32)": np.dtype(np.int32),
    "tensor(int64)": np.dtype(np.int64),
    "tensor(uint8)": np.dtype(np.uint8),
    "tensor(int8)": np.dtype(np.int8),
    "tensor(bool)": np.dtype(np.bool_),
}


def onnx_session(model: Path | str | bytes, threads: int | None = None):  # -> onnxruntime.InferenceSession
    """An onnxruntime CPU session; `threads` sets intra-op threads (inter-op stays 1), else onnxruntime's default."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers are not the user's business
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def input_dtype(type_name: str) -> np.dtype:
    """The numpy dtype of an onnxruntime input type; float32 for types a pose model does not take."""
    return ORT_DTYPES.get(type_name, np.dtype(np.float32))
