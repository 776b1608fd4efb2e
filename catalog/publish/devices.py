"""Every latency measured of a variant, one row per device, runtime, backend, thread count and form:
the build machine's own first (onnxruntime in Python, `formats.*.latency`; headless Chromium on the
same CPU, `formats.*.browser_latency`), then each device's runs from catalog.json's `devices` (what a
visitor's browser measured on the benchmark page, or `posezoo bench-device`). The card's "Measured on
devices" table, the Charts page's "Latency by device" and the zoo tables' device switch read them
here, and the table's columns are said once (`DEVICE_COLUMNS`).

Typed records in (`catalog.schema`), plain values out: the app runs it under Pyodide too. A device's
name and GPU come from a contributor's file: whoever shows them escapes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from catalog.cards.device_result import Gpu
from catalog.cards.devices import DeviceEntry
from catalog.formats import INT8_FORMAT
from catalog.publish.formatting import memory, ms
from catalog.schema import Machine, VariantRecord

MISSING = "—"
BUILD_MACHINE = "Build machine"
STALE_MARK = "†"  # a run of a file whose sha256 is not the catalog's file of that form now
FIRST_RUN_MARK = "‡"  # a cold start that is the first inference alone, without the session's creation
MARKS = {
    STALE_MARK: "measured on an earlier file: its sha256 is not the one this catalog publishes for the form now, "
    "so the figure may not hold for today's file",
    FIRST_RUN_MARK: "the first inference alone: the build's browser pass does not time the session's creation",
}
COMPUTE_UNITS = {"cpu": "CPU", "wasm": "CPU (wasm)", "webgpu": "GPU (WebGPU)"}
BEHIND_A_DETECTOR = ("top-down", "two-stage")


@dataclass(frozen=True)
class DeviceRow:
    """One runtime's figures of one form of the variant on one device."""

    device: str  # the device's name as shown: the contributor's own, or the build machine's
    device_id: str | None  # the devices/ file's name; None for the build machine
    # the CPU where the measuring tool knew it (the build, bench-device), else the GPU adapter as the
    # browser describes it; None where unknown
    chip: str | None
    runtime: str  # the runtime and its version where known: "onnxruntime-web 1.30.0"
    browser: str | None  # the browser it ran in: "Chromium 156.0.8078.114 (headless)"; None for Python
    backend: str  # cpu (a Python runtime), wasm or webgpu
    threads: int
    form: str  # the catalog's form: onnx, onnx_int8, tflite, tfjs
    median_ms: float  # one inference, median
    p90_ms: float
    cold_ms: float | None  # the session's creation and the first inference; None where not timed
    cold_first_only: bool  # cold_ms is the first inference alone (the build's browser pass)
    pipeline_ms: float | None  # the whole pipeline per frame, a model run behind a detector; else None
    peak_mib: float | None  # what loading and running the form added to a fresh process (build machine)
    stale: bool  # measured on a file that is not the catalog's file of that form now

    @property
    def compute_unit(self) -> str:
        return COMPUTE_UNITS.get(self.backend, self.backend)

    @property
    def compute_unit_threads(self) -> str:
        """The compute unit, with the threads on a CPU: "CPU (wasm) ×2", "GPU (WebGPU)"."""
        return self.compute_unit if self.backend == "webgpu" else f"{self.compute_unit} ×{self.threads}"

    @property
    def precision(self) -> str:
        return "int8" if self.form == INT8_FORMAT else "float"

    @property
    def runtime_in(self) -> str:
        """The runtime, and the browser where it ran in one."""
        return f"{self.runtime} in {self.browser}" if self.browser else f"{self.runtime} (Python)"

    @property
    def setup(self) -> str:
        """What ran, in a few words, for a chart's axis: "litert.js, wasm ×4, float", "onnxruntime, CPU ×2, int8"."""
        where = "WebGPU" if self.backend == "webgpu" else f"{self.backend if self.browser else 'CPU'} ×{self.threads}"
        return f"{self.runtime.split(' ')[0]}, {where}, {self.precision}"


def behind_a_detector(variant: VariantRecord) -> bool:
    """A model run on each person its detector finds: its latency is its whole pipeline's."""
    return variant.use is not None and variant.use.mode in BEHIND_A_DETECTOR


def component(variant: VariantRecord) -> bool:
    """A person detector: timed inside its pose models' pipelines, never ranked on its own."""
    return variant.use is not None and variant.use.mode is None


def machine_name(machine: Machine) -> str:
    return f"{BUILD_MACHINE} ({machine.cpu})"


def gpu_text(gpu: Gpu | None) -> str | None:
    """The adapter's description where the browser gives one, else its vendor and family; None where neither."""
    if gpu is None:
        return None
    said = gpu.description.strip() or " ".join(part for part in (gpu.vendor.strip(), gpu.architecture.strip()) if part)
    return said or None


def build_machine_rows(machine: Machine, variant: VariantRecord) -> list[DeviceRow]:
    """The build's own figures: each form on its Python runtime (CPU), then each form on its browser
    runtime in headless Chromium, in the order of the variant's formats (the original first)."""
    name = machine_name(machine)
    chip = f"{machine.cpu}, {machine.cores} cores" if machine.cores else machine.cpu
    pipeline = variant.pipeline.latency if variant.pipeline and behind_a_detector(variant) else None
    rows = []
    for form, report in variant.formats.items():
        latency = report.latency
        if latency is None:
            continue
        # the pipeline is timed on the float ONNX forms with onnxruntime: it is that row's
        whole = pipeline if pipeline and form == "onnx" and latency.runtime == pipeline.runtime else None
        rows.append(
            DeviceRow(
                device=name,
                device_id=None,
                chip=chip,
                runtime=f"{latency.runtime} {latency.runtime_version}",
                browser=None,
                backend="cpu",
                threads=latency.threads,
                form=form,
                median_ms=latency.median_ms,
                p90_ms=latency.p90_ms,
                cold_ms=None,
                cold_first_only=False,
                pipeline_ms=whole.median_ms if whole else None,
                peak_mib=latency.model_peak_mib,
                stale=False,
            )
        )
    for form, report in variant.formats.items():
        for timed in report.browser_latency or []:
            rows.append(
                DeviceRow(
                    device=name,
                    device_id=None,
                    chip=chip,
                    runtime=f"{timed.runtime} {timed.runtime_version}",
                    browser=f"{timed.browser} (headless)",
                    backend=timed.backend,
                    threads=timed.threads,
                    form=form,
                    median_ms=timed.median_ms,
                    p90_ms=timed.p90_ms,
                    cold_ms=timed.cold_ms,
                    cold_first_only=True,
                    pipeline_ms=None,
                    peak_mib=None,
                    stale=False,
                )
            )
    return rows


def _setup_order(row: DeviceRow) -> tuple[Any, ...]:
    return (row.backend != "wasm", row.runtime.casefold(), row.precision != "float", row.form, row.threads)


def device_rows(entry: DeviceEntry, variant: VariantRecord, name: str | None = None) -> list[DeviceRow]:
    """A device's runs of the variant, under `name` (the device's own by default): the CPU (wasm)
    first, then the GPU; by runtime, float before int8, fewer threads first. A run of a file the
    catalog no longer publishes is marked stale."""
    rows = []
    for run in entry.runs:
        if run.variant != variant.id:
            continue
        current = variant.formats.get(run.form)
        rows.append(
            DeviceRow(
                device=name or entry.device.name,
                device_id=entry.id,
                chip=entry.device.cpu or gpu_text(entry.device.gpu),
                runtime=f"{run.runtime} {run.runtime_version}" if run.runtime_version else run.runtime,
                browser=entry.device.browser,
                backend=run.backend,
                threads=run.threads,
                form=run.form,
                median_ms=run.inference.median_ms,
                p90_ms=run.inference.p90_ms,
                cold_ms=run.cold.session_ms + run.cold.first_inference_ms,
                cold_first_only=False,
                pipeline_ms=run.pipeline.median_ms if run.pipeline else None,
                peak_mib=None,
                stale=current is None or current.sha256 != run.sha256,
            )
        )
    return sorted(rows, key=_setup_order)


def measured_devices(devices: Sequence[DeviceEntry]) -> list[DeviceEntry]:
    """The devices in the order every page lists them: by name, then by file name."""
    return sorted(devices, key=lambda entry: (entry.device.name.casefold(), entry.id))


def variant_rows(machine: Machine, devices: Sequence[DeviceEntry], variant: VariantRecord) -> list[DeviceRow]:
    """Every row of the variant: the build machine's first, then each device's, devices by name (a
    name two files share followed by the file's)."""
    rows = build_machine_rows(machine, variant)
    labels = device_labels(devices)
    for entry in measured_devices(devices):
        rows += device_rows(entry, variant, labels[entry.id])
    return rows


def measured_by(devices: Sequence[DeviceEntry], variant: VariantRecord) -> list[DeviceEntry]:
    """The devices that ran the variant, by name."""
    return [entry for entry in measured_devices(devices) if any(run.variant == variant.id for run in entry.runs)]


def device_labels(devices: Sequence[DeviceEntry]) -> dict[str, str]:
    """Device id -> the name a selector shows; a name two files share gets its file's name after it."""
    names = [entry.device.name for entry in devices]
    return {
        entry.id: entry.device.name if names.count(entry.device.name) == 1 else f"{entry.device.name} ({entry.id})"
        for entry in measured_devices(devices)
    }


# --------------------------------------------------------------------------- the table's columns


@dataclass(frozen=True)
class DeviceColumn:
    key: str
    header: str
    value: Callable[[DeviceRow], Any]  # the figure; None where there is none
    text: Callable[[Any], str] = str  # the figure as shown
    numeric: bool = False
    mark: Callable[[DeviceRow], str] = lambda row: ""  # a footnote's mark after the cell (MARKS)

    def shown(self, row: DeviceRow) -> str:
        value = self.value(row)
        shown = MISSING if value is None else self.text(value)
        mark = self.mark(row)
        return f"{shown} {mark}" if mark else shown


# a device's rows are shown under its heading (`group_title`): the columns say what differs between them
DEVICE_COLUMNS: list[DeviceColumn] = [
    DeviceColumn("runtime", "Runtime", lambda r: r.runtime, mark=lambda r: STALE_MARK if r.stale else ""),
    # the form is the runtime's own (TFLite on litert.js and tflite, TFJS on tfjs, ONNX on onnxruntime)
    DeviceColumn("precision", "Precision", lambda r: r.precision),
    DeviceColumn("compute_unit", "Compute unit", lambda r: r.compute_unit_threads),
    DeviceColumn("median_ms", "Median (ms)", lambda r: r.median_ms, ms, numeric=True),
    DeviceColumn("p90_ms", "p90 (ms)", lambda r: r.p90_ms, ms, numeric=True),
    DeviceColumn(
        "cold_ms",
        "Cold start (ms)",
        lambda r: r.cold_ms,
        ms,
        numeric=True,
        mark=lambda r: FIRST_RUN_MARK if r.cold_first_only else "",
    ),
    DeviceColumn("pipeline_ms", "Pipeline (ms)", lambda r: r.pipeline_ms, ms, numeric=True),
    DeviceColumn("peak_mib", "Peak memory (MiB)", lambda r: r.peak_mib, memory, numeric=True),
]


def columns_of(rows: Sequence[DeviceRow]) -> list[DeviceColumn]:
    """The columns a device's rows fill: one no row has a figure in is left out (the build's Python
    runtimes have no cold start, browsers no peak memory)."""
    return [column for column in DEVICE_COLUMNS if any(column.value(row) is not None for row in rows)]


def group_title(row: DeviceRow) -> tuple[str, str, str]:
    """(device, chip, where it ran) of a row, the heading of its device's rows: the chip "—" where
    unknown; where: the browser, or "Python" for the build's own runtimes."""
    return row.device, row.chip or MISSING, row.browser or "Python"


def grouped(rows: Sequence[DeviceRow]) -> list[tuple[tuple[str, str, str], list[DeviceRow]]]:
    """The rows under their headings (`group_title`), in the rows' order."""
    groups: dict[tuple[str, str, str], list[DeviceRow]] = {}
    for row in rows:
        groups.setdefault(group_title(row), []).append(row)
    return list(groups.items())


def marks_used(rows: Sequence[DeviceRow]) -> list[str]:
    """The footnotes' marks the rows carry, in MARKS' order."""
    carried = {column.mark(row) for row in rows for column in DEVICE_COLUMNS}
    return [mark for mark in MARKS if mark in carried]


# --------------------------------------------------------------------------- a device's figure in a zoo table


@dataclass(frozen=True)
class DeviceFigure:
    """A variant's latency on a device, as the zoo tables rank it."""

    median_ms: float
    how: str  # what the figure is of: "inference: litert.js, wasm, 4 threads", "whole pipeline: litert.js, WebGPU"


def device_figure(entry: DeviceEntry, variant: VariantRecord) -> DeviceFigure | None:
    """The variant's fastest float form on the device, median ms, of the catalog's files now: its
    inference alone, or, for a model run behind a detector, its whole pipeline (the zoo table never
    ranks a second stage alone); None where the device did not measure it, and for a component."""
    if variant.status != "ok" or component(variant):
        return None
    runs = [row for row in device_rows(entry, variant) if row.precision == "float" and not row.stale]
    whole = behind_a_detector(variant)
    timed = [(row.pipeline_ms if whole else row.median_ms, row) for row in runs]
    measured = [(figure, row) for figure, row in timed if figure is not None]
    if not measured:
        return None
    figure, row = min(measured, key=lambda pair: pair[0])
    threads = "1 thread" if row.threads == 1 else f"{row.threads} threads"
    on = "WebGPU" if row.backend == "webgpu" else f"{row.backend}, {threads}"  # WebGPU's threads say nothing
    return DeviceFigure(figure, f"{'whole pipeline' if whole else 'inference'}: {row.runtime.split(' ')[0]}, {on}")


def figures_note(entry: DeviceEntry) -> str:
    """What a zoo table's latency figures are while it shows the device's (`device_figure`)."""
    device = entry.device
    return (
        f"{device.name}: measured in {device.browser} on {device.platform}, {device.cores} cores, "
        f"{entry.measured_at[:10]}. Each figure is the model's fastest float form there, its whole pipeline for a "
        f"model run behind a detector, else one inference; {MISSING} where the device did not measure it."
    )
