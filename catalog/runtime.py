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


def onnx_session(
    model: Path | str | bytes, threads: int | None = None, *, spinning: bool = True
):  # -> onnxruntime.InferenceSession
    """An onnxruntime CPU session; `threads` sets intra-op threads (inter-op stays 1), else onnxruntime's default.

    `spinning=False` stops its idle threads spinning after a run: two sessions timed in turns in
    one process must not, or the idle one's spinning threads take the cores from the running one
    (measured here: 2 threads, both forms 1.5-2x slower in turns than alone).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers are not the user's business
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def input_dtype(type_name: str) -> np.dtype:
    """The numpy dtype of an onnxruntime input type; float32 for types a pose model does not take."""
    return ORT_DTYPES.get(type_name, np.dtype(np.float32))
