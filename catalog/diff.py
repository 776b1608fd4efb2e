"""Compare two catalogs figure by figure: what a change to the builder changed in what it publishes.

Records are matched by what identifies them (variants and families by id, per-op rows by op
name), every other list by position, and each differing leaf is reported by its path, e.g.
`variants[movenet-lightning].formats.onnx.flops: 1083 -> 1084`. What legitimately differs
between two builds of the same inputs is ignored: see `BUILD_NOISE`.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

# paths whose values differ between two builds of the same inputs on one machine
BUILD_NOISE: tuple[str, ...] = (
    "schema",
    "builder",
    "machine.*",
    "conventions",
    "variants[*].cache_key",
    "variants[*].provenance.built_at",
    "variants[*].provenance.builder",
    "variants[*].conversion.seconds",
    "variants[*].conversion.versions.*",
    "variants[*].formats.*.latency.*_ms",
    "variants[*].formats.*.latency.*_mib",
    "variants[*].formats.*.latency.runtime_version",
    "variants[*].int8.seconds",
    "variants[*].int8.quantizer.versions.*",
    "variants[*].formats.*.latency.runs",
    "variants[*].formats.*.latency.noisy",
    "variants[*].pipeline.latency.*_ms",
    "variants[*].pipeline.latency.runs",
    "variants[*].pipeline.latency.noisy",
    "variants[*].pipeline.latency.runtime_version",
    "variants[*].pipeline.stages[*].*_ms",
    "variants[*].int8.cpu_latency_ratio",
    "variants[*].int8.browser_latency_ratio",
    "variants[*].tflite_conversion.seconds",
    "variants[*].tflite_conversion.versions.*",
    "variants[*].formats.*.browser_latency[*].*_ms",
    "variants[*].formats.*.browser_latency[*].browser",
    "variants[*].formats.*.browser_latency[*].runtime_version",
    "variants[*].browser_runtime.*_ms",
    "variants[*].browser_runtime.key",
)
# the converted files' bytes (their names, not their figures), where converting changed
CONVERTED_BYTES: tuple[str, ...] = (
    "variants[*].provenance.converted_sha256",
    "variants[*].formats.onnx.sha256",
    "variants[*].formats.onnx.size_bytes",
    "variants[*].formats.onnx.size_mib",
    "variants[*].formats.onnx_int8.sha256",
    "variants[*].formats.onnx_int8.size_bytes",
    "variants[*].formats.onnx_int8.size_mib",
    "variants[*].int8.size_ratio",
)
_KEYS = {"variants": "id", "families": "id", "ops": "op", "files": "path", "failures": "variant"}


def differences(old: Any, new: Any, ignore: tuple[str, ...] = BUILD_NOISE, path: str = "") -> list[str]:
    """Every leaf that differs, as `path: old -> new` (`(absent)` where one side lacks it)."""
    if any(fnmatchcase(path, pattern.replace("[", "[[]")) for pattern in ignore):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[str] = []
        for key in list(old) + [k for k in new if k not in old]:
            child = f"{path}.{key}" if path else str(key)
            found += differences(old.get(key, _ABSENT), new.get(key, _ABSENT), ignore, child)
        return found
    if isinstance(old, list) and isinstance(new, list):
        key = _KEYS.get(path.rsplit(".", 1)[-1])
        if key and all(isinstance(item, dict) and key in item for item in old + new):
            by_key_old = {item[key]: item for item in old}
            by_key_new = {item[key]: item for item in new}
            found = []
            for name in list(by_key_old) + [k for k in by_key_new if k not in by_key_old]:
                child = f"{path}[{name}]"
                found += differences(by_key_old.get(name, _ABSENT), by_key_new.get(name, _ABSENT), ignore, child)
            return found
        if len(old) == len(new):
            return [
                line
                for i, (a, b) in enumerate(zip(old, new, strict=True))
                for line in differences(a, b, ignore, f"{path}[{i}]")
            ]
    if old == new:
        return []
    return [f"{path}: {_show(old)} -> {_show(new)}"]


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, _Absent) else json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def diff_files(old: Path, new: Path, *, ignore_converted_bytes: bool = False) -> list[str]:
    ignore = BUILD_NOISE + (CONVERTED_BYTES if ignore_converted_bytes else ())
    return differences(json.loads(Path(old).read_text("utf-8")), json.loads(Path(new).read_text("utf-8")), ignore)
