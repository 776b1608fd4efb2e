"""The keys of a variant's `formats` in catalog.json for the forms posezoo derives from the
original file. A leaf module: the app imports it under Pyodide (stlite) too, where
catalog.schema cannot be imported (its card schema needs the fetch cache's fcntl lock)."""

ONNX_FORMAT = "onnx"  # the converted (or original) ONNX file, fp16- or fp32-stored
INT8_FORMAT = "onnx_int8"  # its static QDQ int8 form
TFLITE_FORMAT = "tflite"  # the original TFLite file, or the TFLite form of a TFJS or .pb original (LiteRT.js runs it)
