"""Numbers and sizes as the zoo shows them, one way each, on the cards, the site, the app and the charts.

Pure Python, no numpy: the app imports it under Pyodide too. web/format.js is its JavaScript twin
(tests/test_format_twins.py runs both on the same values).
"""

from __future__ import annotations

from collections.abc import Sequence


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
    """A file size in MiB, at the catalog's 4 decimals: 4.4671."""
    return f"{value:.4f}"


def memory(value: float) -> str:
    """Resident memory in MiB, at the catalog's 1 decimal: 100.8."""
    return f"{value:.1f}"


def ms(value: float) -> str:
    """A latency in ms, at the catalog's 3 decimals: 11.915."""
    return f"{value:.3f}"


def ratio(value: float) -> str:
    """int8 over float, as a factor: 0.58×."""
    return f"{value:.2f}×"


def percent(share: float) -> str:
    """A share (0..1) as a percentage: 99.78 %."""
    return f"{share * 100:.2f} %"


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
