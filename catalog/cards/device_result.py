"""One device's row: what a browser measured running the zoo's models, as one JSON document.

The benchmark page (web/benchmark/) writes it, `posezoo bench-device` writes the same from a
headless browser, and contributors add it under devices/ by pull request. The build validates
every devices/*.json against `DeviceResult` and puts the valid ones in catalog.json's `devices`.
devices/device-result.schema.json is `json_schema_text()`, kept in the repository for anyone
checking a document without posezoo (a test keeps it in step).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DEVICE_SCHEMA = "posezoo-device-result/1"
SCHEMA_FILE = "device-result.schema.json"


class DeviceRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Gpu(DeviceRecord):
    """The WebGPU adapter, as GPUAdapter.info describes it (browsers blur it on purpose)."""

    # the GPU's vendor: "nvidia", "apple", "qualcomm", ...; "" where the browser keeps it back
    vendor: str = ""
    # its family: "ampere", "common-3", ...
    architecture: str = ""
    # the device, where told
    device: str = ""
    # a human-readable description, where told
    description: str = ""


class Device(DeviceRecord):
    """The device as the browser describes it: nothing here is asked of the visitor but `name`."""

    # a short name for the table: the contributor's own ("Pixel 8, Chrome"), or made from the rest
    name: str
    # navigator.userAgent
    user_agent: str
    # the browser and its version, from User-Agent Client Hints where given ("Chromium 140.0.7339.185")
    browser: str
    # operating system and version: "Linux", "Android 14", "macOS 15.1"
    platform: str
    # the device's model where the browser tells it (Android does: "Pixel 8"), else ""
    model: str = ""
    # CPU architecture and bitness as the browser tells them: "x86 64", "arm 64", or ""
    architecture: str = ""
    # the browser says it is a mobile device; null where it does not say
    mobile: bool | None = None
    # logical cores: navigator.hardwareConcurrency
    cores: int = Field(ge=1)
    # navigator.deviceMemory: the browser's rounded, capped hint, GiB; null where it gives none
    memory_gib: float | None = None
    # the CPU's model where the tool that measured knows it (`posezoo bench-device` reads the
    # machine's); "" from a browser, which does not tell it
    cpu: str = ""
    # the WebGPU adapter; null where the browser gives none
    gpu: Gpu | None = None
    # the page was cross-origin isolated: wasm could run on several threads
    cross_origin_isolated: bool


class Zoo(DeviceRecord):
    """Which zoo was measured: its files' sha256 say which model each figure is of."""

    # the posezoo version that built the catalog (catalog.json's `builder`)
    builder: str
    # catalog.json's schema version
    schema_version: int
    # the address the page was served from, without the query: "https://…/benchmark/", "http://127.0.0.1:8765/benchmark/"
    page: str


class ColdStart(DeviceRecord):
    """What the first use of a model costs, before any warm-up."""

    # reading the model's files, once per page: over the network, or from the browser's cache, ms
    download_ms: float = Field(ge=0)
    # this run had them already: every file came from the browser's cache, or from the read another
    # engine of the page made first (whose figure `download_ms` is)
    cached: bool
    # making the runtime's session from the bytes (parsing, compiling, weights), ms
    session_ms: float = Field(ge=0)
    # the first inference on the session, ms
    first_inference_ms: float = Field(ge=0)


class Timing(DeviceRecord):
    """Runs timed in alternating turns with the page's other runs: their medians compare."""

    # median time, ms
    median_ms: float = Field(gt=0)
    # 90th percentile (the nearest-rank one), ms
    p90_ms: float = Field(gt=0)
    # timed runs
    runs: int = Field(ge=1)


class Pipeline(Timing):
    """A two-stage model's whole pipeline on the sample photo: the detector, then the model on each
    person's crop, with preprocessing and decoding: what a user waits for per frame."""

    # the first stage's variant id
    detector: str
    # people the pipeline found on the photo
    people: int = Field(ge=0)


class Run(DeviceRecord):
    """One model on one runtime, backend and thread count."""

    # the variant id
    variant: str
    # the catalog form that ran: onnx, onnx_int8, tflite or tfjs
    form: Literal["onnx", "onnx_int8", "tflite", "tfjs"]
    # sha256 of that form's file (a TFJS graph's model.json), as the catalog names it
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    # the browser runtime
    runtime: Literal["onnxruntime-web", "litert.js", "tfjs"]
    # its version where it states one at run time
    runtime_version: str | None = None
    # what it ran on: wasm (CPU, SIMD) or webgpu
    backend: Literal["wasm", "webgpu"]
    # wasm threads the runtime used, as it reports them (1 on WebGPU)
    threads: int = Field(ge=1)
    # one inference on a fixed input (the sample photo, preprocessed once)
    inference: Timing
    # untimed runs after the first, before the timed ones
    warmup: int = Field(ge=0)
    # the first use
    cold: ColdStart
    # the whole pipeline, for a model run behind a detector; null for the others
    pipeline: Pipeline | None = None


class DeviceResult(DeviceRecord):
    """devices/*.json: one device's results, as the benchmark page or `posezoo bench-device` wrote them."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    # this document's format: posezoo-device-result/1; `schema` in the file
    format: Literal["posezoo-device-result/1"] = Field(alias="schema")
    # when the runs ended: ISO 8601, UTC
    measured_at: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$")
    # what measured: the benchmark page in a visitor's browser, or `posezoo bench-device` (headless)
    tool: Literal["benchmark page", "posezoo bench-device"]
    # the device
    device: Device
    # the zoo measured
    zoo: Zoo
    # every run, in the order the page finished them
    runs: list[Run] = Field(min_length=1)


def json_schema() -> dict[str, Any]:
    """devices/device-result.schema.json."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_FILE,
        **DeviceResult.model_json_schema(by_alias=True),
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=1, sort_keys=True) + "\n"
