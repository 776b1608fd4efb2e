"""The card's "Measured on devices" section: every latency measured of the variant, the build
machine's first, then each device's from the zoo's devices/ files, in one table whose columns
catalog.publish.devices says; and how to add your own device."""

from __future__ import annotations

from urllib.parse import quote

from catalog.publish.devices import MARKS, columns_of, grouped, marks_used, measured_by, variant_rows
from catalog.publish.model_card.inputs import BENCHMARK_PAGE, CardInputs
from catalog.publish.model_card.markdown import Md, Table, bullets, code, text


def add_yours(card: CardInputs) -> Md:
    """How to measure the model on another device: the benchmark page (linked on the site), or the command."""
    page = (
        Md(f"[the benchmark page]({BENCHMARK_PAGE}?models={quote(card.variant.id, safe='')})")
        if card.site
        else text("the zoo's benchmark page (Benchmark, on the zoo's docs site)")
    )
    return Md(
        f"Measure it on your own device: open {page} in the device's browser, or run {code('posezoo bench-device')} "
        f"on a machine with Chromium; either writes one file to add under the zoo's {code('devices/')} folder by "
        "pull request, and the next build shows its rows here."
    )


def devices_section(card: CardInputs) -> Md:
    v = card.variant
    rows = variant_rows(card.machine, card.devices, v)
    measured = measured_by(card.devices, v)
    parts = [
        Md(
            "Every latency measured of this model, device by device (its name, its chip where known, and where "
            "it ran): first the machine that built the zoo (its Python runtimes on the CPU, then each browser "
            "runtime in headless Chromium on the same CPU), then each device that ran the zoo's benchmark page, "
            "in its own browser. Inference: one inference on a fixed input, median "
            "and 90th percentile. Cold start: making the session and the first inference. Whole pipeline: the "
            "detector and the model on each person it finds, per frame, for a model run behind a detector. Peak "
            "memory: what loading and running the form added to a fresh process, measured on the build machine "
            "only."
        )
    ]
    if rows:
        for (device, chip, where), group in grouped(rows):
            columns = columns_of(group)
            parts.append(Md(f"**{text(device)}** · {text(chip)} · {text(where)}"))
            numeric = frozenset(i for i, column in enumerate(columns) if column.numeric)
            cells = [[column.shown(row) for column in columns] for row in group]
            parts.append(Table([column.header for column in columns], cells, numeric).markdown())
        marks = marks_used(rows)
        if marks:
            parts.append(bullets([text(f"{mark} {MARKS[mark]}.") for mark in marks]))
    else:
        parts.append(Md("Not timed on the build machine, and no device has measured it."))
    if not measured:
        parts.append(Md("No device has measured this model yet: the rows above are the build machine's."))
    parts.append(add_yours(card))
    return Md("\n\n".join(parts))
