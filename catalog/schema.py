"""The schema of catalog.json: every record the build writes, typed, and published as JSON Schema.

`posezoo build` validates the whole document against `Catalog` before writing it, and writes
`catalog.schema.json` (from `json_schema()`) beside it; the site's JavaScript, the app and
notebooks read the catalog against that file. `SCHEMA_VERSION` changes whenever a record's
shape does: a build never reuses a previous catalog of another version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from catalog.cards.devices import DeviceEntry
from catalog.cards.facts import FamilyFacts, HighRiskUses, License, ListedFacts, VariantFacts
from catalog.errors import PosezooError

SCHEMA_VERSION = 11
Dim = int | str | None  # a size, a symbolic name for a dynamic size (H, W, N), or unknown


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TensorRecord(Record):
    # the tensor's name in the file
    name: str
    # whole shape, batch included; a name for each dynamic dim, null where unknown
    shape: list[Dim]
    # element type (float32, int32, ...)
    dtype: str


class FileRecord(Record):
    # path relative to the build folder
    path: str
    # bytes
    size_bytes: int
    # sha256 of the file's bytes, hex
    sha256: str


class OpRecord(Record):
    # the file's own op name (CONV_2D, _FusedConv2D, Conv, ...)
    op: str
    # the op's IR type, in ONNX's vocabulary
    kind: str
    # how many ops of this name
    count: int
    # multiply-accumulates, per the conventions
    macs: int
    # floating-point operations, per the conventions
    flops: int
    # elements of their outputs, summed
    output_elements: int
    # elements of each op's first input, summed (0 where a shape is unknown)
    first_input_elements: int
    # elements of each op's other inputs, summed: a dense op's weight and bias (0 where unknown)
    other_input_elements: int
    # how many were folded (inputs all known at load) and count nothing
    folded: int


class TimingRecord(Record):
    """Runs timed in alternating turns with the others of `turns_with`: their medians compare."""

    # onnxruntime | tflite
    runtime: str
    # the runtime's version
    runtime_version: str
    # median time of one inference, ms
    median_ms: float
    # the median's 95 % interval (order statistics of the runs): its lower end, ms
    median_low_ms: float
    # and its upper end, ms
    median_high_ms: float
    # 90th percentile, ms
    p90_ms: float
    # fastest run, ms
    min_ms: float
    # timed runs: at least the build's --runs, more until the interval is within 5 % of the median
    runs: int
    # untimed runs before them
    warmup: int
    # intra-op threads the runtime used
    threads: int
    # the interval stayed wider than 5 % of the median after the most runs: the machine was busy
    noisy: bool
    # the forms timed in the same alternating-turns run, this one included
    turns_with: list[str]


class LatencyRecord(TimingRecord):
    """One form's inference, timed with the variant's other forms (`turns_with`), and its memory:
    every page shows these figures for this form."""

    # a separate child's peak resident memory running this form alone, MiB
    peak_rss_mib: float
    # its resident memory with the runtime loaded, before the model, MiB
    baseline_rss_mib: float
    # peak minus baseline: what loading and running this model cost, MiB
    model_peak_mib: float


BrowserRuntime = Literal["onnxruntime-web", "litert.js", "tfjs"]


class BrowserLatencyRecord(Record):
    # the browser runtime that ran the form: onnxruntime-web (ONNX), litert.js (TFLite), tfjs (TFJS)
    runtime: BrowserRuntime
    # the runtime's version, as its pinned npm package states it
    runtime_version: str
    # the browser and its version: Chromium 140.0.7339.185
    browser: str
    # the runtime's backend: wasm
    backend: str
    # the session options it ran with (onnxruntime-web: web/try/session-options.json, the Try-it
    # page's own); empty for the other runtimes, which take none
    session_options: dict[str, Any] = {}
    # threads the runtime used, verified: 1, or navigator.hardwareConcurrency
    threads: int
    # median time of one inference, ms
    median_ms: float
    # 90th percentile, ms
    p90_ms: float
    # the first inference after loading the model, ms
    cold_ms: float
    # timed runs
    runs: int
    # untimed runs before them (after the cold one)
    warmup: int


class FormatRecord(Record):
    """One file of a variant in one format: `posezoo inspect`'s report, plus its latency."""

    # the model file, relative to the build folder
    path: str
    # onnx | tflite | tfjs
    format: Literal["onnx", "tflite", "tfjs", "pb"]
    # bytes, with a TFJS model's weight files
    size_bytes: int
    # size in MiB (2^20 bytes), 4 decimals
    size_mib: float
    # sha256 of the model file (a TFJS model's model.json), hex
    sha256: str
    # graph inputs as the file declares them
    inputs: list[TensorRecord]
    # graph outputs; dynamic dims named after the input dim they follow
    outputs: list[TensorRecord]
    # the size each dynamic input is counted at
    reference_shapes: dict[str, list[int]]
    # where that size came from: user | signature | default | default batch
    reference_source: dict[str, str]
    # fp32 | fp16 | int8 | ... | mixed: the storage type of >= 95% of the parameters
    precision: str
    # share of parameter elements per storage type
    precision_split: dict[str, float]
    # how the integer weights are used, null for a float model: dynamic-range (activations float),
    # static (activations quantized with stored scales, float inputs), full-integer (integer inputs too)
    quantization: Literal["dynamic-range", "static", "full-integer"] | None
    # how an ONNX file writes it: qdq (DequantizeLinear before float ops), qoperator (quantized ops:
    # QLinearConv, ConvInteger...), mixed; null for other formats and float models
    quantization_format: Literal["qdq", "qoperator", "mixed"] | None
    # parameter elements, per the conventions
    params: int
    # of which stored sparse
    sparse_params: int
    # multiply-accumulates at the reference shapes
    macs: int
    # floating-point operations at the reference shapes
    flops: int
    # per-op figures, largest FLOPs first
    ops: list[OpRecord]
    # a TFJS model's files (model.json and weights), each with size and sha256
    files: list[FileRecord] = []
    # ops whose output shape could not be resolved (they count no FLOPs)
    unresolved_ops: list[str] = []
    # what the reader noticed and the user should know
    notes: list[str] = []
    # latency and memory on this format's runtime; null where none runs here
    latency: LatencyRecord | None = None
    # why there is no latency
    latency_note: str | None = None
    # latency in headless Chromium on the browser runtime that runs this form (onnxruntime-web,
    # LiteRT.js, TFJS), at 1 thread and at every core; null when not measured
    browser_latency: list[BrowserLatencyRecord] | None = None


class OutputCheckRecord(Record):
    # the original's output name
    name: str
    # the ONNX output it was compared with
    converted_name: str
    # the output's shape
    shape: list[int]
    # largest absolute difference over the output's elements
    max_abs_diff: float
    # max - min of the original output
    range: float
    # max_abs_diff / scale; passes at or below the tolerance
    relative: float
    # whether this output passed
    passed: bool
    # why figures could not be computed (shape mismatch, missing output)
    problem: str = ""
    # what the difference is divided by: the range, or the magnitude of a constant output
    scale: float = 0.0


class CheckRecord(Record):
    # what both models were run on
    input: str
    # the largest relative difference that passes
    tolerance: float
    # whether every output passed
    passed: bool
    # how outputs were paired: by name or by position
    matched_by: Literal["name", "position"]
    # per output
    outputs: list[OutputCheckRecord]
    # max abs difference per output name
    max_abs_diff: dict[str, float]
    # one line summing it up
    message: str


class ConversionRecord(Record):
    # tf2onnx
    converter: str
    # versions of the converter and what it ran on
    versions: dict[str, str]
    # ONNX opset written
    opset: int
    # seconds the conversion took
    seconds: float
    # large weights stored as fp16 with a Cast (the source stored fp16)
    fp16_weights: bool
    # what the conversion changed or noticed
    notes: list[str] = []
    # the numeric check of the ONNX against the original
    check: CheckRecord


class TfliteConversionRecord(Record):
    # tf.lite.TFLiteConverter
    converter: str
    # versions of what it ran on: tensorflow
    versions: dict[str, str]
    # seconds the conversion took
    seconds: float
    # float weights stored as fp16, dequantized when the model loads (the source stored fp16)
    fp16_weights: bool
    # the image input's fixed shape: LiteRT.js compiles one shape
    input_shape: list[int]
    # what the conversion changed or noticed
    notes: list[str] = []
    # the numeric check of the TFLite form against the original
    check: CheckRecord


class BrowserChoiceRecord(Record):
    # the runtime the Try-it page runs this variant on by default: the fastest measured
    runtime: BrowserRuntime
    # the form it runs: onnx, tflite or tfjs
    format: str
    # the thread count the choice was made at: the most every runtime ran at
    threads: int
    # its median ms per inference there
    median_ms: float
    # the next fastest runtime there; null when only one was measured
    runner_up: BrowserRuntime | None = None
    # its median there, ms
    runner_up_ms: float | None = None
    # the pass's key: the figures are reused while it holds
    key: str


class SourceFileRecord(Record):
    # file name
    name: str
    # sha256, hex
    sha256: str
    # bytes
    size_bytes: int


class ProvenanceRecord(Record):
    # the pin, as written on the card
    source: str
    # the npm tarball's verified SRI integrity; null for other sources
    integrity: str | None
    # sha256 of the fetched model file
    sha256: str
    # every fetched file (a TFJS model's weights too)
    files: list[SourceFileRecord]
    # sha256 of the converted ONNX file; null when none was converted
    converted_sha256: str | None
    # posezoo version that built it
    builder: str
    # when, UTC, ISO 8601
    built_at: str


class ErrorRecord(Record):
    # the step that failed: card, fetch, copy, inspect, convert, check, measure
    step: str
    # one line
    reason: str


class KeypointDistanceRecord(Record):
    # the keypoint's name, as the model's schema has it
    name: str
    # where the model put it, normalised to the image: 0..1 from the left edge
    x: float
    # and 0..1 from the top edge
    y: float
    # the model's score for it
    score: float
    # distance to the hand annotation, as a fraction of the image's longer side
    distance: float
    # whether the distance is within the threshold
    passed: bool


class KeypointCheckRecord(Record):
    # the photo the model ran on
    image: str
    # the hand annotation it is compared with (a file of catalog/measure)
    annotation: str
    # the largest distance that passes, as a fraction of the image's longer side
    threshold: float
    # whether every annotated keypoint the model has passed
    passed: bool
    # mean distance over the keypoints compared; null when none were
    mean_distance: float | None
    # one record per annotated keypoint the model has
    keypoints: list[KeypointDistanceRecord]
    # why nothing could be compared, when nothing could
    note: str = ""


class KeypointDriftRecord(Record):
    # the keypoint's name, as the model's schema has it
    name: str
    # distance between the int8 form's keypoint and the float form's, as a fraction of the photo's longer side
    distance: float
    # the float form's score for it
    float_score: float
    # the int8 form's score for it
    int8_score: float
    # whether the photo's hand annotation marks it (the photo shows it); only those count in the means and maxima
    annotated: bool


class PhotoDriftRecord(Record):
    # the test photo both forms ran on
    image: str
    # mean distance over the keypoints the photo shows, fraction of its longer side; null when none compared
    mean_distance: float | None
    # largest of those distances; null when none compared
    max_distance: float | None
    # one record per keypoint of the model
    keypoints: list[KeypointDriftRecord]
    # why nothing could be compared (a form found nobody), when nothing could
    note: str = ""


class CalibrationPhotoRecord(Record):
    # the photo, as the code names it
    image: str
    # why it is in the calibration set
    why: str


class IntervalRecord(Record):
    # the figure on the whole set
    value: float
    # the 95 % bootstrap interval's lower end
    low: float
    # and its upper end
    high: float


class EvalSetRecord(Record):
    """Which evaluation set a figure was measured on (`eval/` in the repository)."""

    # the set's version: a digest of its sources and both annotation passes; figures of two versions do not compare
    version: str
    # images scored (fetched and annotated)
    images: int
    # annotated people (at least one labelled keypoint)
    people: int
    # the annotation pass that is the truth, as a path in the repository
    truth: str


class UseRecord(Record):
    """How the variant is meant to be run, as the pose API, the Try-it page and the accuracy figures run it."""

    # whole-frame (a multi-person model, or a component), top-down (a single-person model on a crop around
    # each person `detector` finds) or two-stage (behind its own detector, on every person it detects)
    mode: Literal["whole-frame", "top-down", "two-stage"] | None
    # the variant id of the person detector in front of it; null for whole-frame
    detector: str | None = None
    # why it has no mode (a person detector: a component of its pose models)
    note: str = ""


class AccuracyRecord(Record):
    """A form's accuracy on the evaluation set, used as the model is meant to be used; figures null where not scored."""

    # the set it was measured on
    set: EvalSetRecord | None = None
    # whole-frame (a multi-person model on the frame), top-down (a single-person model on each crop a
    # person detector gives) or two-stage (the model's own detector, every detection); null when not scored
    mode: Literal["whole-frame", "top-down", "two-stage"] | None = None
    # the variant id of the person detector in front of it (top-down, two-stage); null for whole-frame
    detector: str | None = None
    # the COCO-17 keypoints scored: those the model's schema shares with COCO-17, by name
    keypoints: list[str] = []
    # COCO's OKS-based keypoint AP (pycocotools, COCO's sigmas, the person box's area as scale)
    ap: IntervalRecord | None = None
    # AP at OKS 0.5
    ap50: IntervalRecord | None = None
    # share of labelled keypoints within 0.05 of the person box's longer side
    pck_05: IntervalRecord | None = None
    # within 0.1 of it
    pck_10: IntervalRecord | None = None
    # PCK@0.1 per scored keypoint; null for a keypoint never labelled
    pck_10_per_keypoint: dict[str, float | None] = {}
    # people the model answered with, over the whole set
    detections: int | None = None
    # seconds the evaluation took (running the model and scoring)
    seconds: float | None = None
    # why it was not scored, when it was not
    note: str = ""
    # digest of what the figures depend on (the form, its detector, the set): a build with an equal key reuses them
    key: str = ""


class StageRecord(Record):
    # detector (the first stage), model (the variant itself), or rest (crops, mapping back, sorting)
    role: Literal["detector", "model", "rest"]
    # the stage model's variant id; null for the rest
    variant: str | None
    # median ms per frame: the stage model's calls, preprocessing and decoding included
    median_ms: float
    # of which its onnxruntime session's runs, median ms per frame; null for the rest
    inference_ms: float | None
    # the stage model's calls per frame (a top-down model: one per person found)
    calls: int


class PipelineRecord(Record):
    """The whole pipeline a user runs (the pose API as `use` says): image in, poses out, every stage,
    on one photo of one person. The headline latency of a pose model."""

    # the photo, and what is on it
    image: str
    # how the variant ran: whole-frame, top-down or two-stage (see `use`)
    mode: Literal["whole-frame", "top-down", "two-stage"]
    # people the pipeline found on the photo: its poses scoring catalog.pose.top_down.PERSON_MIN_SCORE or more
    people: int
    # the whole frame, ms: median, its 95 % interval, runs
    latency: TimingRecord
    # each stage, first stage first, and the rest
    stages: list[StageRecord]
    # FLOPs of one frame: the detector's, plus the model's once per person found (at least once)
    flops: int
    # digest of what the figures depend on (the form, its detector): a build with an equal key reuses them
    key: str = ""


class NoiseFloorRecord(Record):
    """How far two independent annotation passes disagree: no model can be shown to beat it."""

    # people annotated in both passes
    people: int
    # the second pass, as a path in the repository
    second: str
    # per COCO-17 keypoint, the mean distance between the passes, a fraction of the person box's longer side
    disagreement: dict[str, float | None]
    # the second pass scored against the first as if it were a model
    second_as_model: AccuracyRecord


class EvaluationRecord(Record):
    """The evaluation set every accuracy figure was measured on, and its noise floor."""

    # the set
    set: EvalSetRecord
    # the noise floor; null when the second pass could not be read
    noise_floor: NoiseFloorRecord | None = None
    # images or annotations that could not be had, one line each (their people are not scored)
    problems: list[str] = []


class QuantizerRecord(Record):
    # the function that quantized: onnxruntime.quantization.quantize_static
    tool: str
    # QDQ: QuantizeLinear and DequantizeLinear around float ops, which runtimes fuse into integer kernels
    format: str
    # one weight scale per output channel, not one per tensor
    per_channel: bool
    # weight type and scheme: int8 (symmetric)
    weights: str
    # activation type and scheme: uint8 (asymmetric)
    activations: str
    # how activation ranges were found from the calibration set: MinMax
    calibration_method: str
    # versions of onnxruntime and onnx that quantized
    versions: dict[str, str]


class Int8Record(Record):
    """The variant's int8 form: how it was made and how far it moves the keypoints, or why there is none."""

    # the key of the int8 form in `formats` (onnx_int8); null when there is none
    format: str | None
    # why there is no int8 form, one line; null when there is one
    reason: str | None = None
    # how it was quantized; null when quantizing did not start
    quantizer: QuantizerRecord | None = None
    # the calibration photos, each preprocessed as the variant's pipeline does
    calibration: list[CalibrationPhotoRecord] = []
    # a two-stage model's first stage as the int8 form runs after it: the float detector's id; null otherwise
    runs_after: str | None = None
    # seconds quantizing took
    seconds: float | None = None
    # what quantizing changed or noticed
    notes: list[str] = []
    # the int8 form's keypoints against the float form's, per test photo
    drift: list[PhotoDriftRecord] = []
    # mean drift over the annotated keypoints of every test photo, fraction of the photo's longer side; null when none
    mean_drift: float | None = None
    # largest of those drifts; null when none
    max_drift: float | None = None
    # int8 file size / the float ONNX file's
    size_ratio: float | None = None
    # the int8 form's median CPU latency / the float ONNX form's, both from the variant's one
    # alternating-turns run (formats.*.latency); null when not measured
    cpu_latency_ratio: float | None = None
    # int8 median browser latency / the float ONNX form's, at `browser_threads`; null when not measured
    browser_latency_ratio: float | None = None
    # the thread count of that browser comparison: the most both forms were timed at
    browser_threads: int | None = None
    # the keypoint check run again on the int8 form (the float form's is the variant's keypoint_check)
    keypoint_check: KeypointCheckRecord | None = None
    # the int8 form's accuracy on the evaluation set, used as the float form is; null when not measured
    accuracy: AccuracyRecord | None = None
    # the float form's AP minus the int8 form's (positive: int8 is worse); null when either is missing
    ap_drop: float | None = None
    # the float form's PCK@0.1 minus the int8 form's; null when either is missing
    pck_10_drop: float | None = None


class VariantRecord(VariantFacts):
    """A variant: the card's facts, and what the build measured."""

    # the family's license, with what it binds a user to
    license: License
    # ok, or failed (see error)
    status: Literal["ok", "failed"]
    # the failed step; only when status is failed
    error: ErrorRecord | None = None
    # one record per format: the original, its ONNX form and the int8 form (onnx_int8) where there is one
    formats: dict[str, FormatRecord] = {}
    # the format of the file the source names: one of `formats`, or "pytorch" for a checkpoint
    # no reader opens, of which only the exported forms are published
    original_format: Literal["onnx", "tflite", "tfjs", "pb", "pytorch"] | None = None
    # how the ONNX form was made and checked; null when the original is ONNX
    conversion: ConversionRecord | None = None
    # how the TFLite form (formats.tflite) was made and checked; null unless the original is a
    # TensorFlow graph (TFJS or a frozen .pb)
    tflite_conversion: TfliteConversionRecord | None = None
    # where the files came from
    provenance: ProvenanceRecord | None = None
    # the pose API on a hand-annotated photo: does the model find the person?
    keypoint_check: KeypointCheckRecord | None = None
    # how it is meant to be run (derived from the card by catalog.measure.evaluation.how_used); null when not built
    use: UseRecord | None = None
    # accuracy on the evaluation set (the float ONNX form); null when the build did not measure it
    accuracy: AccuracyRecord | None = None
    # the whole pipeline as a user runs it, timed (the float ONNX forms); null for a detector, or
    # when the build did not measure it
    pipeline: PipelineRecord | None = None
    # why there is no pipeline figure, when there is none
    pipeline_note: str = ""
    # the int8 form (formats.onnx_int8), or why there is none; null where no ONNX form was built
    int8: Int8Record | None = None
    # the browser runtime the Try-it page runs it on by default, chosen by the build's browser
    # measurement (formats.*.browser_latency); null when not measured
    browser_runtime: BrowserChoiceRecord | None = None
    # why there is no browser measurement, when there is none
    browser_note: str = ""
    # hash of everything the variant's build depends on; equal keys reuse the previous record
    cache_key: str


class ListedRecord(ListedFacts):
    """A variant the zoo lists without building it (catalog.cards.listed): its card says it cannot be
    built, or its file could not be fetched; shown after the built ones, with why."""

    # the family's license, with what it binds a user to
    license: License


class FamilyRecord(FamilyFacts):
    """A family, as its card states it."""


class Machine(Record):
    # CPU model
    cpu: str
    # logical cores
    cores: int | None
    # Python version
    python: str
    # operating system
    platform: str


class FailureRecord(Record):
    # the variant id (or the card file)
    variant: str
    # the step that failed
    step: str
    # one line
    reason: str


class Catalog(Record):
    """catalog.json."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    # this schema's version (SCHEMA_VERSION); `schema` in the file
    schema_version: Literal[SCHEMA_VERSION] = Field(alias="schema")
    # posezoo version that wrote it
    builder: str
    # where every latency was measured
    machine: Machine
    # how every figure is counted
    conventions: str
    # model families
    families: list[FamilyRecord]
    # the evaluation set the accuracy figures were measured on; null when the build measured none
    evaluation: EvaluationRecord | None = None
    # uses a deployer should weigh, shown on every model's pages as guidance (not a license term);
    # null when the cards' _defaults.yaml gives none
    high_risk_uses: HighRiskUses | None = None
    # model variants
    variants: list[VariantRecord]
    # variants listed but not built, with why: unavailable on their card, or unreachable by this build
    # (such a variant is also among `variants`, failed at its fetch)
    listed: list[ListedRecord] = []
    # what devices measured in their browsers (devices/*.json, each validated by the build), by file
    # name; the build machine's own figures are the variants' `formats.*.latency` and `browser_latency`
    devices: list[DeviceEntry] = []
    # what failed, one line each
    failures: list[FailureRecord]


def json_schema() -> dict[str, Any]:
    """catalog.schema.json."""
    schema = Catalog.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"catalog.schema.v{SCHEMA_VERSION}.json",
        "version": SCHEMA_VERSION,
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=1, sort_keys=True) + "\n"


def read_document(path: Path) -> dict[str, Any]:
    """A catalog.json as JSON, validated against `Catalog`: the document as written (`catalog.load()`
    keeps it); a PosezooError in one line when it is missing, not JSON, or of another schema version."""
    document = _json(path)
    check_document(document, str(path))
    return document


def read_catalog(path: Path) -> Catalog:
    """A catalog.json as its typed records; a PosezooError in one line when it is missing, not JSON,
    or of another schema version."""
    return check_document(_json(path), str(path))


def _json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise PosezooError(str(path), f"cannot read the catalog ({error}); build it with `posezoo build`") from None


def _written_by(document: dict[str, Any]) -> str:
    builder = document.get("builder")
    return f", written by posezoo {builder}" if isinstance(builder, str) else ""


def check_document(document: Any, where: str) -> Catalog:
    """A catalog document (read from `where`, a file or a URL) as its typed records; a PosezooError
    in one line when it is of another schema version or not a catalog."""
    from pydantic import ValidationError

    from catalog import __version__

    found = document.get("schema") if isinstance(document, dict) else None
    if isinstance(found, int) and found != SCHEMA_VERSION:
        raise PosezooError(
            where,
            f"a catalog of schema {found}{_written_by(document)}; this posezoo"
            f" ({__version__}) reads schema {SCHEMA_VERSION}: use the catalog of its release, or rebuild it"
            " with `posezoo build`",
        )
    try:
        return Catalog.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        raise PosezooError(
            where, f"not a catalog of this posezoo ({place}: {first['msg']}); rebuild it with `posezoo build`"
        ) from None
