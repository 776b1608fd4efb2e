"""The catalog builder: fetch, convert, check, inspect and measure every variant the cards name.

Writes `catalog.json`, the one source of truth every card, page and chart is made from. A
variant whose inputs (its card, the shared defaults, the builder's own code and the build's
settings) are unchanged since the last build is taken from the previous catalog as it was,
without touching a model.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog import __version__, atomic, lock
from catalog.cards.listed import listed_records
from catalog.cards.load import Family, Variant
from catalog.digest import identity, known_sha256, remember, sha256_file
from catalog.errors import PosezooError
from catalog.fetch.sources import FileDigest
from catalog.formats import INT8_FORMAT, ONNX_FORMAT, TFLITE_FORMAT
from catalog.measure.inspection import inspect
from catalog.measure.latency import DEFAULT_RUNS, machine_description
from catalog.measure.metrics import CONVENTIONS
from catalog.paths import (
    CATALOG_FILE,
    DEFAULT_CARDS,
    DEFAULT_DEVICES,
    DEFAULT_OUT,
    DEFAULTS_FILE,
    MODELS_DIR,
    SCHEMA_FILE,
)
from catalog.schema import SCHEMA_VERSION, Catalog, json_schema_text

if TYPE_CHECKING:
    from catalog.convert.equivalence import CheckResult

BUILDER_VERSION = __version__
ORIGINAL_RUNTIMES = {"tflite": "tflite"}  # formats a Python runtime here runs as they are
TFLITE_FORM_SOURCES = ("tfjs", "pb")  # TensorFlow graphs, which TensorFlow's converter makes TFLite files of
SIZED_BY_CARD = ("pb",)  # dynamic-size graphs with no stated size: counted at the card's
PYTORCH_SUFFIX = ".pt"  # a pickled PyTorch checkpoint: exported to ONNX, never inspected itself
LOCK_FILE = ".posezoo-build.lock"
FINISHED_DIR = ".variants"  # BUILD/.variants/<id>.json: each variant kept as it finishes


@dataclass
class BuildOptions:
    cards: Path = DEFAULT_CARDS
    out: Path = DEFAULT_OUT
    cache: Path | None = None  # the fetch cache; platformdirs' user cache by default
    strict: bool = False  # stop at the first failure
    measure: bool = True
    # time every form on its browser runtime in headless Chromium (catalog/time_browser.py): about
    # 10 minutes for the default zoo on 2 cores, once; later builds reuse what did not change
    browser: bool = True
    accuracy: bool = True  # score every form on the evaluation set (eval/), fetched into the cache
    runs: int = DEFAULT_RUNS
    only: list[str] = field(default_factory=list)  # variant ids; all when empty
    wait: bool = True  # when another build holds the output folder: wait for it, or fail at once
    mirror: Path | None = None  # a folder standing in for https sources; $POSEZOO_MIRROR when None
    devices: Path = DEFAULT_DEVICES  # devices/*.json, validated into the catalog's `devices`


@dataclass
class Failure:
    variant: str
    step: str
    reason: str

    @property
    def what(self) -> str:
        return f"{self.step} failed: {self.reason}"

    def line(self) -> str:
        return f"{self.variant}: {self.what}"


@dataclass
class BuildResult:
    catalog_path: Path
    variants: list[dict]
    failures: list[Failure]
    reused: list[str]
    seconds: float
    # what could not be had of the evaluation set, one line each: its people go unscored, the build still publishes
    warnings: list[str] = field(default_factory=list)
    # variants built only where their upstream files are reachable (pinned by git blob id, which no
    # mirror stands in for) whose fetch failed: listed with the reason, not failures
    unreachable: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class StepFailed(Exception):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(reason)
        self.step = step
        self.reason = reason


Progress = Callable[[str, str], None]  # (variant id, step) — the CLI draws it


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


@functools.cache
def code_digest() -> str:
    """This builder's digest (package_digest of the catalog package), computed once."""
    return package_digest(Path(__file__).resolve().parent)


def package_digest(package: Path) -> str:
    """The builder's own code and data, as far as they make a figure: a change to how anything is
    read, converted or measured makes every variant stale; a comment, a docstring or a reflowed
    line does not (each module is hashed as its syntax tree, docstrings dropped). What only presents
    the catalog (publish/, app/, the CLI), opens a published one (remote/) or names a missing extra
    does not count at all, nor does what reads and makes the devices' rows (devices/*.json, read
    afresh by every build and in no variant's record)."""
    presenting = {package / "publish", package / "app", package / "remote", package / "cli.py"}
    presenting |= {package / "extras.py", package / "bench_device.py"}
    presenting |= {package / "cards" / "device_result.py", package / "cards" / "devices.py"}
    files = [
        p
        for p in sorted(package.rglob("*"))
        if p.suffix in {".py", ".json"} and not any(p == q or q in p.parents for q in presenting)
    ]
    return _digest(*(p.relative_to(package).as_posix().encode() + b"\n" + _meaning(p) for p in files))


def _meaning(path: Path) -> bytes:
    """What of a file can change a figure: a module's syntax tree without its docstrings (comments
    and layout are not in the tree); a data file's bytes (the keypoint check's annotation)."""
    if path.suffix != ".py":
        return path.read_bytes()
    tree = ast.parse(path.read_bytes(), str(path))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def cache_key(card_path: Path, defaults_path: Path, variant_id: str, options: BuildOptions) -> str:
    settings = json.dumps(
        {
            "builder": BUILDER_VERSION,
            "code": code_digest(),
            "schema": SCHEMA_VERSION,
            "variant": variant_id,
            "measure": options.measure,
            "runs": options.runs,
        }
    ).encode()
    defaults = defaults_path.read_bytes() if defaults_path.is_file() else b""
    return _digest(card_path.read_bytes(), defaults, settings)


def _relative(path: Path, out: Path) -> str:
    return path.resolve().relative_to(out.resolve()).as_posix()


def _variant_facts(variant: Variant, family: Family) -> dict:
    """The card's facts about a variant, with its family's license and what it binds a user to."""
    facts = variant.model_dump(mode="json")
    facts["license"] = family.license.model_dump(mode="json")
    return facts


def _step(name: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except StepFailed:
        raise
    except PosezooError as error:
        raise StepFailed(name, error.reason) from None
    except Exception as error:  # one broken model is reported; the others still publish
        first = (str(error).strip().splitlines() or [""])[0]
        raise StepFailed(name, f"{type(error).__name__}: {first}"[:500]) from None


def _copy_files(files: list[FileDigest], folder: Path) -> list[Path]:
    """The fetched files in the variant's folder; a copy takes the digest its source was
    verified with, so nothing is hashed twice."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for file in files:
        target = folder / file.path.name
        if known_sha256(target) != file.sha256:
            atomic.copy_file(file.path, target)
            remember(target, file.sha256)
        copied.append(target)
    return copied


def _report(path: Path, out: Path, card_size: Variant | None = None) -> dict:
    """The file's inspection; with `card_size`, an image input of dynamic size is counted at the
    size the variant's card gives, not at the reader's default."""
    report = inspect(path).to_dict()
    if card_size is not None:
        shapes = _card_shapes(report, card_size)
        if shapes:
            report = inspect(path, shapes).to_dict()
    report["path"] = _relative(path, out)
    for entry in report["files"]:
        entry["path"] = _relative(Path(entry["path"]), out)
    return report


def _card_shapes(report: dict, variant: Variant) -> dict[str, tuple[int, ...]]:
    """The card's input size for each dynamic-size image input (1 x H x W x 3, or NCHW)."""
    h, w = variant.preprocess.size
    card = (1, 3, h, w) if variant.preprocess.layout == "NCHW" else (1, h, w, 3)
    return {
        spec["name"]: card
        for spec in report["inputs"]
        if len(spec["shape"]) == 4 and not all(isinstance(dim, int) for dim in spec["shape"])
    }


def _astronaut_feeds(variant: Variant, report: dict) -> dict:
    import numpy as np
    from skimage import data

    from catalog.pose.inputs import preprocess

    (spec,) = report["inputs"]
    shape = report["reference_shapes"].get(spec["name"], spec["shape"])
    tensor = preprocess(data.astronaut(), variant.preprocess, tuple(shape))
    return {spec["name"]: np.ascontiguousarray(tensor)}


def build_variant(
    variant: Variant, family: Family, options: BuildOptions, progress: Progress, detector: dict | None = None
) -> dict:
    """Every step for one variant; raises StepFailed naming the step and the reason.

    `detector` is the record of the detector the variant's card names, built earlier in this
    build: the keypoint check runs both stages, as the pose API does."""
    from catalog.fetch.sources import fetch

    folder = options.out / MODELS_DIR / variant.id
    progress(variant.id, "fetch")
    fetched = _step(
        "fetch",
        lambda: fetch(
            variant.source,
            variant.sha256 or None,
            options.cache,
            variant.base_dir,
            mirror=options.mirror,
            expected_git_blob=variant.git_blob,
        ),
    )
    originals = _step("copy", lambda: _copy_files(fetched.files, folder))
    original = originals[0]
    progress(variant.id, "inspect")
    conversion = None
    if original.suffix == PYTORCH_SUFFIX:
        # no reader opens a pickled checkpoint: the exported ONNX form is the first form there is
        fmt = "pytorch"
        formats: dict[str, dict] = {}
        conversion = _exported_form(variant, original, folder, formats, options, progress)
    else:
        original_report = _step("inspect", lambda: _report(original, options.out))
        fmt = original_report["format"]
        if fmt in SIZED_BY_CARD:
            original_report = _step("inspect", lambda: _report(original, options.out, variant))
        formats = {fmt: original_report}
    if fmt not in ("onnx", "pytorch"):
        from catalog.convert.to_onnx import convert_to_onnx

        progress(variant.id, "convert")
        onnx_path = folder / f"{variant.id}.onnx"
        fp16_source = "fp16" in original_report["precision_split"]
        converted = _step("convert", lambda: convert_to_onnx(original, fmt, onnx_path, fp16_source=fp16_source))
        sized = variant if fmt in SIZED_BY_CARD else None
        formats["onnx"] = _step("inspect", lambda: _report(onnx_path, options.out, sized))
        progress(variant.id, "check")
        check = _step("check", lambda: _check(variant, original, fmt, onnx_path, original_report))
        conversion = {
            "converter": converted.converter,
            "versions": converted.versions,
            "opset": converted.opset,
            "seconds": converted.seconds,
            "fp16_weights": converted.fp16_weights,
            "notes": converted.notes,
            "check": check,
        }
        if not check["passed"]:
            raise StepFailed("check", check["message"])
    tflite_conversion = None
    if fmt in TFLITE_FORM_SOURCES:
        tflite_conversion = _tflite_form(variant, original, fmt, folder, formats, options, progress)
    progress(variant.id, "keypoint check")
    keypoint_check = _step("keypoint check", lambda: _keypoint_check(variant, options.out, formats, detector))
    int8 = None
    if "onnx" in formats:
        int8_report, int8 = _int8_form(variant, options, formats["onnx"], detector, progress)
        if int8_report is not None:
            formats[INT8_FORMAT] = int8_report
    if options.measure:
        _time_forms(variant.id, options, formats, int8, progress)
    from catalog.measure.evaluation import how_used

    return {
        **_variant_facts(variant, family),
        "status": "ok",
        "use": asdict(how_used(variant)),
        "formats": formats,
        "original_format": fmt,
        "conversion": conversion,
        "tflite_conversion": tflite_conversion,
        "keypoint_check": keypoint_check,
        "int8": int8,
        "provenance": {
            "source": variant.source,
            "integrity": fetched.integrity,
            "sha256": fetched.sha256,
            "files": [{"name": f.path.name, "sha256": f.sha256, "size_bytes": f.size} for f in fetched.files],
            "converted_sha256": formats.get("onnx", {}).get("sha256") if conversion else None,
            "builder": BUILDER_VERSION,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }


def _exported_form(
    variant: Variant, checkpoint: Path, folder: Path, formats: dict, options: BuildOptions, progress: Progress
) -> dict:
    """A PyTorch checkpoint's ONNX form (Ultralytics' pose models), exported at the card's input
    size and checked against the checkpoint run in PyTorch on the astronaut."""
    from catalog.convert.from_torch import check_torch_export, export_yolo_pose_onnx

    progress(variant.id, "export")
    onnx_path = folder / f"{variant.id}.onnx"
    size = variant.preprocess.size[0]
    exported = _step("export", lambda: export_yolo_pose_onnx(checkpoint, onnx_path, size=size))
    formats[ONNX_FORMAT] = _step("inspect", lambda: _report(onnx_path, options.out))
    progress(variant.id, "check")
    feeds = _astronaut_feeds(variant, formats[ONNX_FORMAT])
    check = _check_record(_step("check", lambda: check_torch_export(checkpoint, onnx_path, feeds)))
    if not check["passed"]:
        raise StepFailed("check", check["message"])
    return {
        "converter": exported.converter,
        "versions": exported.versions,
        "opset": exported.opset,
        "seconds": exported.seconds,
        "fp16_weights": exported.fp16_weights,
        "notes": exported.notes,
        "check": check,
    }


def _tflite_form(
    variant: Variant, original: Path, fmt: str, folder: Path, formats: dict, options: BuildOptions, progress: Progress
) -> dict:
    """A TensorFlow graph original's (TFJS, frozen .pb) TFLite form, for LiteRT.js: converted,
    inspected and checked against the original as the ONNX form is; its image input fixed at the
    size the ONNX form is counted at."""
    from catalog.convert.to_tflite import convert_to_tflite

    progress(variant.id, "convert to TFLite")
    source = formats[fmt]
    (spec,) = formats[ONNX_FORMAT]["inputs"]
    shape = formats[ONNX_FORMAT]["reference_shapes"].get(spec["name"], spec["shape"])
    path = folder / f"{variant.id}.tflite"
    fp16 = "fp16" in source["precision_split"]
    converted = _step("convert", lambda: convert_to_tflite(original, fmt, path, shape, fp16_weights=fp16))
    formats[TFLITE_FORMAT] = _step("inspect", lambda: _report(path, options.out))
    progress(variant.id, "check TFLite")
    check = _step("check", lambda: _check(variant, original, fmt, path, source))
    if not check["passed"]:
        raise StepFailed("check", f"TFLite form: {check['message']}")
    return {
        "converter": converted.converter,
        "versions": converted.versions,
        "seconds": converted.seconds,
        "fp16_weights": converted.fp16_weights,
        "input_shape": converted.input_shape,
        "notes": converted.notes,
        "check": check,
    }


def _stages(detector: dict | None, out: Path) -> dict[str, Any]:
    """PoseEstimator's arguments for a two-stage variant's first stage: its detector's float ONNX form."""
    from catalog.pose.built import onnx_path, variant_from_record

    if detector is None:
        return {}
    return {"detector": variant_from_record(detector), "detector_path": onnx_path(detector, out)}


def _keypoint_check(variant: Variant, out: Path, formats: dict, detector: dict | None) -> dict:
    """The pose API on the hand-annotated photo, through the variant's ONNX form. The check
    flags a model, it never fails one: where the pose API cannot run it (no detector built, a
    decoder that cannot read its outputs) the record says why."""
    from catalog.measure.keypoint_check import check_keypoints, not_run
    from catalog.pose import PoseEstimator

    if variant.detector and detector is None:
        return not_run(f"its detector {variant.detector} did not build").to_dict()
    try:
        return check_keypoints(
            PoseEstimator(variant, out / formats["onnx"]["path"], **_stages(detector, out))
        ).to_dict()
    except Exception as error:  # a card whose decode or preprocess does not fit the file: flagged, still published
        first = (str(error).strip().splitlines() or [""])[0]
        return not_run(first if isinstance(error, ValueError) else f"{type(error).__name__}: {first}"[:500]).to_dict()


class Int8Absent(Exception):
    """Why a variant has no int8 form, one line; its float forms still publish."""


def _int8_form(
    variant: Variant, options: BuildOptions, onnx_report: dict, detector: dict | None, progress: Progress
) -> tuple[dict | None, dict]:
    """The int8 form of the ONNX form (its inspect report, measured) and the variant's int8
    record. Never raises: a graph that does not quantize cleanly (the quantizer raises, the
    int8 file does not load or run, its keypoints are unusable) has no int8 form, and the
    record says why. A two-stage model's int8 form runs after its float detector, so its drift
    is its own."""
    from catalog.convert.quantize import CALIBRATION_PHOTOS

    out = options.out
    path = out / MODELS_DIR / variant.id / f"{variant.id}.int8.onnx"
    record: dict[str, Any] = {
        "format": None,
        "calibration": [{"image": image, "why": why} for image, why in CALIBRATION_PHOTOS.items()],
        "runs_after": variant.detector or None,
    }
    try:
        if variant.detector and detector is None:
            raise Int8Absent(f"its detector {variant.detector} did not build")
        report = _int8_steps(variant, options, out / onnx_report["path"], path, detector, record, progress)
    except Exception as error:  # any failure of the int8 form costs the int8 form only
        path.unlink(missing_ok=True)
        record.update(format=None, reason=(str(error) if isinstance(error, Int8Absent) else _first_line(error))[:500])
        return None, record
    record.update(format=INT8_FORMAT, **_int8_ratios(onnx_report, report))
    return report, record


def _int8_steps(
    variant: Variant, options: BuildOptions, float_path: Path, path: Path, detector: dict | None,
    record: dict, progress: Progress,
) -> dict:  # fmt: skip
    """Quantize, run, compare with the float form, inspect and measure; fills `record` as it goes
    and returns the int8 file's report. Raises Int8Absent (or what failed) where it stops."""
    from catalog.convert.quantize import calibration_photos, quantize_int8
    from catalog.measure.drift import keypoint_drift
    from catalog.measure.keypoint_check import check_keypoints
    from catalog.pose import PoseEstimator

    out, stages = options.out, _stages(detector, options.out)
    progress(variant.id, "quantize")
    photos = calibration_photos()
    try:
        reference = PoseEstimator(variant, float_path, **stages)
        reference(photos[0][1])  # the float form decodes, so what fails later is the int8 form's
        tensors = [tensor for _, image in photos if (tensor := reference.model_input(image)) is not None]
    except Exception as error:
        raise Int8Absent(f"the pose API cannot run the float form to compare with: {_first_line(error)}") from None
    if not tensors:
        raise Int8Absent(f"its detector {variant.detector} found nobody on the calibration photos to crop")
    try:
        quantized = quantize_int8(float_path, path, tensors)
    except Exception as error:
        raise Int8Absent(f"quantization failed: {_first_line(error)}") from None
    record.update(quantizer=quantized.settings, seconds=quantized.seconds, notes=quantized.notes)
    try:
        estimator = PoseEstimator(variant, path, **stages)
        progress(variant.id, "int8 drift")
        drift = keypoint_drift(reference, estimator)
    except Exception as error:
        raise Int8Absent(f"the int8 model does not run: {_first_line(error)}") from None
    record.update(drift=[asdict(p) for p in drift.photos], mean_drift=drift.mean_distance, max_drift=drift.max_distance)
    if drift.unusable:
        raise Int8Absent(f"its keypoints are unusable: {drift.unusable}")
    record["keypoint_check"] = check_keypoints(estimator).to_dict()
    progress(variant.id, "inspect int8")
    report = _report(path, out)
    return report


def _first_line(error: BaseException) -> str:
    first = (str(error).strip().splitlines() or [""])[0]
    return first if isinstance(error, PosezooError | ValueError) else f"{type(error).__name__}: {first}"


def _int8_ratios(float_report: dict, int8_report: dict) -> dict[str, Any]:
    """The trade, int8 over float: size (the CPU latency ratio comes with the forms' timings,
    `_time_forms`, the browser's with the browser pass, catalog/time_browser.py)."""
    return {"size_ratio": round(int8_report["size_bytes"] / float_report["size_bytes"], 3)}


MEMORY_RUNS = 3  # the memory child runs a form this often: its peak, not its time, is the figure


def _time_forms(variant_id: str, options: BuildOptions, formats: dict, int8: dict | None, progress: Progress) -> None:
    """Every form a Python runtime runs here, timed in one alternating-turns run (their medians
    compare, and the int8 ratio is theirs), and each form's memory in a child of its own."""
    from catalog.measure.latency import measure, measure_turns

    forms = {}
    for name, report in formats.items():
        runtime = "onnxruntime" if name in (ONNX_FORMAT, INT8_FORMAT) else ORIGINAL_RUNTIMES.get(name)
        if runtime is None:
            report["latency"] = None
            report["latency_note"] = f"no Python runtime for {name} here: measured in the browser"
            continue
        forms[name] = {"runtime": runtime, "model": options.out / report["path"], "shapes": report["reference_shapes"]}
    if not forms:
        return
    progress(variant_id, f"time {', '.join(forms)} in turns")
    try:
        timings = measure_turns(forms, runs=options.runs)
    except Exception as error:
        if INT8_FORMAT not in forms or int8 is None:
            raise StepFailed("measure", _first_line(error)[:500]) from None
        # the int8 form alone may be what fails: it goes, the float forms are timed without it
        formats.pop(INT8_FORMAT)
        reason = f"onnxruntime could not time it beside the float form: {_first_line(error)}"
        int8.update(format=None, reason=reason[:500])
        forms.pop(INT8_FORMAT)
        timings = _step("measure", lambda: measure_turns(forms, runs=options.runs))
    for name, timing in timings.items():
        form = forms[name]
        progress(variant_id, f"memory {name}")
        memory = _step(
            "measure",
            lambda f=form: measure(f["runtime"], f["model"], f["shapes"], runs=MEMORY_RUNS, warmup=1),
        )
        formats[name]["latency"] = {
            **timing.to_dict(),
            "peak_rss_mib": memory.peak_rss_mib,
            "baseline_rss_mib": memory.baseline_rss_mib,
            "model_peak_mib": memory.model_peak_mib,
        }
    if int8 is not None and INT8_FORMAT in timings and ONNX_FORMAT in timings:
        int8["cpu_latency_ratio"] = round(timings[INT8_FORMAT].median_ms / timings[ONNX_FORMAT].median_ms, 3)


def _check(variant: Variant, original: Path, fmt: str, onnx_path: Path, report: dict) -> dict:
    from catalog.convert.equivalence import check_conversion

    feeds = _astronaut_feeds(variant, report)
    return _check_record(check_conversion(original, fmt, onnx_path, feeds))


def _check_record(result: CheckResult) -> dict:
    return {
        "input": "skimage.data.astronaut(), preprocessed per the card",
        "tolerance": result.tolerance,
        "passed": result.passed,
        "matched_by": result.matched_by,
        "outputs": [asdict(o) for o in result.outputs],
        "max_abs_diff": result.max_abs_diff,
        "message": result.message,
    }


def _finished(out: Path) -> dict[str, dict]:
    """The variants finished by earlier builds into `out`, even one killed half-way: each is
    kept as it finishes, with the identity (inode, size, mtime) of every file it names."""
    kept: dict[str, dict] = {}
    for path in sorted((out / FINISHED_DIR).glob("*.json")):
        try:
            entry = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue  # written whole or not at all, so this is someone else's file: ignore it
        record = entry.get("record") if isinstance(entry, dict) else None
        if isinstance(record, dict) and entry.get("schema") == SCHEMA_VERSION and record.get("status") == "ok":
            kept[record["id"]] = entry
    return kept


def _published_files(record: dict) -> dict[str, str]:
    """Every file a record names, relative to the build folder, with the sha256 it publishes."""
    files: dict[str, str] = {}
    for report in record.get("formats", {}).values():
        files[report["path"]] = report["sha256"]
        files.update({f["path"]: f["sha256"] for f in report.get("files", [])})
    return files


def _keep(out: Path, record: dict) -> None:
    """Keep a finished variant, so that a build interrupted later still has it."""
    identities = {rel: [*identity(out / rel), sha] for rel, sha in _published_files(record).items()}
    entry = {"schema": SCHEMA_VERSION, "record": record, "files": identities}
    atomic.write_text(out / FINISHED_DIR / f"{record['id']}.json", json.dumps(entry))


def _intact(out: Path, entry: dict) -> bool:
    """Whether every file a kept variant names still has the sha256 it publishes: a file whose
    identity is as kept is taken as is, any other is hashed again."""
    kept = entry.get("files", {})
    for rel, sha in _published_files(entry["record"]).items():
        path = out / rel
        if not path.is_file():
            return False
        if kept.get(rel) == [*identity(path), sha]:
            remember(path, sha)
        elif sha256_file(path) != sha:
            return False
    return True


def _disagreeing(out: Path, record: dict) -> list[str]:
    """Files whose bytes no longer have the sha256 the record is about to publish."""
    return [rel for rel, sha in _published_files(record).items() if not _has_sha256(out / rel, sha)]


def _has_sha256(path: Path, sha: str) -> bool:
    try:
        return sha256_file(path) == sha
    except OSError:
        return False


def _high_risk_uses(cards: Path) -> dict | None:
    from catalog.cards.load import load_defaults

    guidance = load_defaults(cards).high_risk_uses
    return guidance.model_dump(mode="json") if guidance else None


def build(
    options: BuildOptions,
    progress: Progress = lambda variant, step: None,
    on_wait: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the catalog; every variant is attempted, failures are collected, not raised.

    One build at a time writes an output folder: a second one waits (telling `on_wait`), or
    raises `lock.Busy` when `options.wait` is False.
    """
    started = time.perf_counter()
    options.out.mkdir(parents=True, exist_ok=True)
    with lock.held(options.out / LOCK_FILE, wait=options.wait, what=str(options.out), on_wait=on_wait):
        return _build(options, progress, started)


def _build(options: BuildOptions, progress: Progress, started: float) -> BuildResult:
    from catalog.cards.load import load_cards_leniently

    catalog_path = options.out / CATALOG_FILE
    families, broken_cards = load_cards_leniently(options.cards)
    defaults_path = options.cards / DEFAULTS_FILE
    previous = _finished(options.out)
    records: list[dict] = []
    failures = [Failure(Path(e.where).name, "card", reason) for e in broken_cards for reason in e.reasons]
    unreachable: list[Failure] = []
    if options.strict and failures:
        families = []
    reused: list[str] = []
    built: dict[str, dict] = {}  # the variants that built, for the models whose detector they are
    for family in families:
        for variant in family.variants:
            if options.only and variant.id not in options.only:
                continue
            key = cache_key(family.card_path, defaults_path, variant.id, options)
            old = previous.get(variant.id)
            if old and old["record"].get("cache_key") == key and _intact(options.out, old):
                records.append(old["record"])
                built[variant.id] = old["record"]
                reused.append(variant.id)
                progress(variant.id, "unchanged")
                continue
            # the detector built in this build, else as an earlier build into this folder left it
            detector = built.get(variant.detector) or previous.get(variant.detector, {}).get("record")
            try:
                record = build_variant(variant, family, options, progress, detector)
                record["cache_key"] = key
                _keep(options.out, record)
            except StepFailed as failed:
                failure = Failure(variant.id, failed.step, failed.reason)
                if failed.step == "fetch" and variant.git_blob:
                    unreachable.append(failure)
                else:
                    failures.append(failure)
                record = {
                    **_variant_facts(variant, family),
                    "status": "failed",
                    "error": {"step": failed.step, "reason": failed.reason},
                }
            record["cache_key"] = key
            records.append(record)
            if record["status"] == "ok":
                built[variant.id] = record
            progress(variant.id, "done" if record["status"] == "ok" else "failed")
            if options.strict and failures:
                break
        if options.strict and failures:
            break
    evaluation, warnings = None, []
    if options.accuracy:
        from catalog.evaluate import measure_accuracy

        evaluation, warnings = measure_accuracy(records, options.out, options.cache, progress)
    else:
        for record in records:
            record.pop("accuracy", None)
            (record.get("int8") or {}).update(accuracy=None, ap_drop=None, pck_10_drop=None)
    if options.measure:
        from catalog.time_pipelines import time_pipelines

        time_pipelines(records, options.out, options.runs, progress)
    else:
        for record in records:
            record.update(pipeline=None, pipeline_note="not measured (posezoo build --no-measure)")
    from catalog.time_browser import not_measured, time_browser

    if options.browser:
        time_browser(records, options.out, options.runs, progress)
    else:
        not_measured(records, "not measured by this build (posezoo build --no-browser)")
    for record in records:
        if record["status"] == "ok":
            _keep(options.out, record)
    for record in records:
        disagreeing = _disagreeing(options.out, record) if record["status"] == "ok" else []
        if disagreeing:  # changed by something outside this build: never published as it was
            reason = f"{', '.join(disagreeing)} no longer has the sha256 measured; build again"
            failures.append(Failure(record["id"], "verify", reason))
            record.update(status="failed", error={"step": "verify", "reason": reason})
    from catalog.cards.devices import load_devices

    devices, bad_devices = load_devices(options.devices)
    failures += [Failure(name, "device result", reason) for name, reason in bad_devices]
    document = {
        "schema": SCHEMA_VERSION,
        "builder": BUILDER_VERSION,
        "machine": machine_description(),
        "conventions": CONVENTIONS,
        "evaluation": evaluation,
        "high_risk_uses": _high_risk_uses(options.cards),
        "families": [f.model_dump(mode="json") for f in families],
        "variants": records,
        "listed": listed_records(families, records),
        "devices": [d.model_dump(mode="json", by_alias=True) for d in devices],
        "failures": [f.__dict__ for f in failures],
    }
    # a record that does not match the published schema is a bug here, never published
    Catalog.model_validate(document)
    _write_if_changed(options.out / SCHEMA_FILE, json_schema_text())
    _write_if_changed(catalog_path, json.dumps(document, indent=1))
    return BuildResult(catalog_path, records, failures, reused, time.perf_counter() - started, warnings, unreachable)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text("utf-8") != text:
        atomic.write_text(path, text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: posezoo build")
