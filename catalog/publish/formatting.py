"""Numbers and sizes as the zoo shows them, one way each, on the cards, the site, the app and the charts.

Pure Python, no numpy: the app imports it under Pyodide too. web/try/format.js is its JavaScript twin
(tests/test_format_twins.py runs both on the same values).
"""

from __future__ import annotations

from collections.abc import Sequence

from catalog.formats import INT8_FORMAT, ONNX_FORMAT
from catalog.schema import VariantRecord

MIB_DIGITS = 2  # a file size's decimals wherever one is shown: 4.47 MiB (catalog.json keeps 4)
MS_DIGITS = 3  # a latency's decimals in a table: 11.915 ms
TRADE_LEAD = "The trade, int8 against the float ONNX form"


def count(value: int) -> str:
    """An exact count: 2,324,896."""
    return f"{value:,}"


def millions(value: int) -> str:
    """MACs and FLOPs, in millions: 270.55."""
    return f"{value / 1e6:,.2f}"


def billions(value: int) -> str:
    """FLOPs in billions, beside an author's GFLOPs: 0.554."""
    return f"{value / 1e9:,.3f}"


def mib(value: float) -> str:
    """A file size in MiB, to 2 decimals: 4.47."""
    return f"{value:.{MIB_DIGITS}f}"


def size(value: float) -> str:
    """A file size in MiB with its unit: 4.47 MiB."""
    return f"{mib(value)} MiB"


def memory(value: float) -> str:
    """Resident memory in MiB, at the catalog's 1 decimal: 100.8."""
    return f"{value:.1f}"


def ms(value: float) -> str:
    """A latency in ms, at the catalog's 3 decimals: 11.915."""
    return f"{value:.{MS_DIGITS}f}"


def ms_brief(value: float) -> str:
    """A latency in ms in a sentence or a chart's hover, to 1 decimal: 11.9."""
    return f"{value:.1f}"


def ratio(value: float) -> str:
    """int8 over float, as a factor: 0.58×."""
    return f"{value:.2f}×"


def percent(share: float) -> str:
    """A share (0..1) as a percentage: 99.78 %."""
    return f"{share * 100:.2f} %"


def points(value: float) -> str:
    """An accuracy figure (AP, PCK: a share 0..1) in points out of 100, as papers print them: 28.7."""
    return f"{value * 100:.1f}"


def with_interval(value: float, low: float, high: float) -> str:
    """An accuracy figure and its 95 % interval, in points: 28.7 (22.4–37.2)."""
    return f"{points(value)} ({points(low)}–{points(high)})"


def difference(value: float) -> str:
    """A numeric difference, 3 significant digits: 1.61e-06."""
    return f"{value:.3g}"


def fraction(value: float) -> str:
    """A distance or threshold as a fraction of the image's longer side: 0.0252."""
    return f"{value:.4f}"


def coordinate(value: float) -> str:
    """A keypoint's x or y, normalised to the image: 0.4327."""
    return f"{value:.4f}"


def score(value: float) -> str:
    """A model's score for a keypoint: 0.5729."""
    return f"{value:.4f}"


def dims(shape: Sequence[int | str | None]) -> str:
    """A shape, dynamic dims by name: N × 224 × 224 × 3."""
    return " × ".join("?" if d is None else str(d) for d in shape)


def trade(variant: VariantRecord) -> str | None:
    """The int8 form's trade, int8 against float, in one line: size, CPU and browser time, drift;
    None where the variant has no int8 form. Sizes to 2 decimals and times to 1, a line a reader
    takes in at a glance; the card, the app and the Try-it page (web/try/format.js) all say it so."""
    record, formats = variant.int8, variant.formats
    if record is None or record.size_ratio is None or INT8_FORMAT not in formats or ONNX_FORMAT not in formats:
        return None
    int8_mib, float_mib = formats[INT8_FORMAT].size_mib, formats[ONNX_FORMAT].size_mib
    parts = [f"{ratio(record.size_ratio)} the size ({size(int8_mib)} against {mib(float_mib)})"]
    timed = formats[INT8_FORMAT].latency, formats[ONNX_FORMAT].latency
    if record.cpu_latency_ratio is not None and timed[0] and timed[1]:
        int8_ms, float_ms = timed[0], timed[1]
        parts.append(
            f"{ratio(record.cpu_latency_ratio)} the CPU time ({ms_brief(int8_ms.median_ms)} ms against "
            f"{ms_brief(float_ms.median_ms)}, {int8_ms.runtime}, {int8_ms.threads} threads, timed in turns)"
        )
    if record.browser_latency_ratio is not None:
        parts.append(
            f"{ratio(record.browser_latency_ratio)} the browser time (onnxruntime-web wasm, "
            f"{record.browser_threads} threads)"
        )
    if record.mean_drift is not None and record.max_drift is not None:
        parts.append(
            f"keypoints moved {fraction(record.mean_drift)} of the image on average "
            f"(max {fraction(record.max_drift)}) on the test photos"
        )
    return "; ".join(parts)
