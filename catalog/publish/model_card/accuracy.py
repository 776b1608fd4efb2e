"""The card's accuracy: the figures at a glance (its opening table) and the Accuracy section,
what the zoo measured on its evaluation set, float and int8, read against the set's noise floor.
The authors' own figures stay in the Published figures section: never mixed with these."""

from __future__ import annotations

from html import escape

from catalog.formats import INT8_FORMAT, ONNX_FORMAT
from catalog.publish.formatting import fraction, ms_brief, points, size, with_interval
from catalog.publish.model_card.inputs import SITE_ROOT, CardInputs
from catalog.publish.model_card.markdown import Md, Table, code, text
from catalog.publish.records import FORMAT_NAMES, accuracy_flag, onnx_report, safe_relative, scored, use_text
from catalog.schema import AccuracyRecord, IntervalRecord

FIGURES = (("AP", "ap"), ("AP50", "ap50"), ("PCK@0.05", "pck_05"), ("PCK@0.1", "pck_10"))


def _interval(interval: IntervalRecord | None) -> str:
    return with_interval(interval.value, interval.low, interval.high) if interval else "—"


def _pipeline(card: CardInputs) -> str:
    pipeline = card.variant.pipeline
    if pipeline is None:
        if card.used_by:
            return f"a component: timed in the pipelines of {', '.join(card.used_by)}"
        return card.variant.pipeline_note or "not timed by this build"
    timing = pipeline.latency
    noisy = "; noisy" if timing.noisy else ""
    return (
        f"{ms_brief(timing.median_ms)} ms ({ms_brief(timing.median_low_ms)}–{ms_brief(timing.median_high_ms)}{noisy}), "
        "image in, poses out, onnxruntime CPU; stages under Performance"
    )


def downloads(card: CardInputs) -> Md:
    """Links to the files the site serves (the ONNX forms), and where the original comes from. HTML
    links: the files are the site's, not pages mkdocs checks."""
    links = [
        Md(
            f'<a href="{escape(SITE_ROOT + relative.as_posix())}" download>'
            f"{escape(FORMAT_NAMES.get(fmt, fmt))} ({escape(size(report.size_mib))})</a>"
        )
        for fmt in (ONNX_FORMAT, INT8_FORMAT)
        if (report := card.variant.formats.get(fmt)) is not None and (relative := safe_relative(report.path))
    ]
    provenance = card.variant.provenance
    source = provenance.source if provenance else card.variant.source
    links.append(Md(f"the original: {code(source)}"))
    return Md(" · ".join(links))


def glance(card: CardInputs) -> Md:
    """The card's opening table: how well it finds people, how fast, how big, how it is run, the license."""
    v = card.variant
    accuracy = v.accuracy
    rows: list[tuple[object, object]] = []
    if scored(accuracy):
        assert accuracy is not None
        rows.append((card.label("AP on the zoo's set (95 % interval)", "accuracy"), _interval(accuracy.ap)))
        rows.append((card.label("PCK@0.1 on the zoo's set", "accuracy"), _interval(accuracy.pck_10)))
    else:
        note = accuracy.note if accuracy else "not measured by this build"
        rows.append((card.label("Accuracy on the zoo's set", "accuracy"), note))
    rows.append(("Run as", use_text(v.use) or "—"))
    rows.append((card.label("Latency, whole pipeline (median)", "latency"), _pipeline(card)))
    report = onnx_report(v)
    if report is not None:
        rows.append((card.label("ONNX file", "size"), size(report.size_mib)))
    rows.append(("License", f"{v.license.spdx}: commercial use {v.license.commercial_use}"))
    if card.site:
        rows.append(("Download", downloads(card)))
    parts = [Table(("At a glance", ""), rows).markdown()]
    flag = accuracy_flag(accuracy)
    if flag:
        parts.append(Md(f"> **Flagged:** {text(flag)}. Read it against how the set is made (see Accuracy)."))
    return Md("\n\n".join(parts))


def _figures_table(forms: list[tuple[str, AccuracyRecord]]) -> Md:
    rows = [(name, *(_interval(getattr(a, key)) for _, a in forms)) for name, key in FIGURES]
    return Table(("Figure (95 % interval)", *(title for title, _ in forms)), rows).markdown()


def accuracy_section(card: CardInputs) -> Md:
    """What the zoo measured on its evaluation set, and how to read it."""
    v = card.variant
    accuracy = v.accuracy
    if not scored(accuracy):
        note = accuracy.note if accuracy else "This build did not measure accuracy (`posezoo build --no-accuracy`)."
        return text(note[:1].upper() + note[1:])
    assert accuracy is not None and accuracy.set is not None
    forms = [("ONNX (float)", accuracy)]
    int8 = v.int8.accuracy if v.int8 else None
    if INT8_FORMAT in v.formats and scored(int8):
        assert int8 is not None
        forms.append(("ONNX int8", int8))
    counted = accuracy.set
    detector = f" behind {code(accuracy.detector)}" if accuracy.detector else ""
    parts = [
        Md(
            f"Measured by this build on the zoo's evaluation set (version {code(counted.version)}: "
            f"{counted.people} annotated people in {counted.images} real photos and video frames; "
            f"the truth is {code(counted.truth)}), the model run {text(use_text(v.use) or accuracy.mode)}"
            f"{detector}. Scored on the {len(accuracy.keypoints)} keypoints it shares with COCO-17 "
            f"({text(', '.join(accuracy.keypoints))}). AP is COCO's OKS-based keypoint AP (pycocotools, "
            "COCO's sigmas, the person box's area as scale); PCK@t is the share of labelled keypoints within t "
            "of the person box's longer side. Intervals are 95 % bootstrap intervals (PCK over people, AP over "
            "images)."
        ),
        _figures_table(forms),
    ]
    if len(forms) == 2 and v.int8 and v.int8.ap_drop is not None and v.int8.pck_10_drop is not None:
        parts.append(
            Md(
                f"The int8 form loses {points(v.int8.ap_drop)} points of AP and {points(v.int8.pck_10_drop)} of "
                "PCK@0.1 against the float form (negative: it gains), on the same people."
            )
        )
    floor = card.evaluation.noise_floor if card.evaluation else None
    if floor is not None and floor.second_as_model.ap and floor.second_as_model.pck_10:
        second = floor.second_as_model
        parts.append(
            Md(
                f"**The set's noise floor:** a second, independent annotation pass ({floor.people} people) scored "
                f"as if it were a model gets AP {_interval(second.ap)} and PCK@0.1 {_interval(second.pck_10)}. "
                "Where a model's interval overlaps those, the set cannot tell it from a second human annotator; "
                "two models whose intervals overlap are not told apart either."
            )
        )
    per_keypoint = [
        (text(name), "—" if share is None else points(share)) for name, share in accuracy.pck_10_per_keypoint.items()
    ]
    if per_keypoint:
        parts.append(Md("PCK@0.1 per keypoint (%):"))
        parts.append(Table(("Keypoint", "PCK@0.1"), per_keypoint, frozenset({1})).markdown())
    if floor is not None:
        disagreement = [f"{name} {fraction(d)}" for name, d in floor.disagreement.items() if d is not None]
        parts.append(
            Md(
                "Where the two annotation passes put the same keypoint apart (mean distance, a fraction of the "
                f"person box's longer side): {text('; '.join(disagreement))}."
            )
        )
    return Md("\n\n".join(parts))
