"""The docs site's Accuracy page and the Numbers page's mapping table, from catalog.json: what the
zoo measured on its evaluation set, model by model, beside (never mixed with) the authors' own
figures, and the set's noise floor."""

from __future__ import annotations

from catalog.measure.accuracy import mapping_table
from catalog.publish.formatting import fraction, points, with_interval
from catalog.publish.model_card.markdown import Md, Table, code, text
from catalog.publish.records import (
    accuracy_flag,
    built,
    families_by_id,
    model_title,
    pipeline_ms,
    scored,
    use_brief,
)
from catalog.schema import Catalog, IntervalRecord


def _interval(interval: IntervalRecord | None) -> str:
    return with_interval(interval.value, interval.low, interval.high) if interval else "—"


def mapping_markdown(catalog: Catalog) -> Md:
    """Per COCO-17 keypoint, the keypoint of each schema in the zoo scored as it (the one rule:
    the same name), written once by catalog.measure.accuracy and shown here."""
    schemas: dict[str, list[str]] = {}
    for variant in catalog.variants:
        if variant.role == "model":
            schemas.setdefault(variant.keypoints.schema, list(variant.keypoints.names))
    rows = [
        (code(name), *(code(theirs) if theirs else "— (not scored)" for theirs in by_schema.values()))
        for name, by_schema in mapping_table(schemas)
    ]
    return Table(("COCO-17", *schemas), rows).markdown()


def _published(variant) -> str:  # VariantRecord
    published = variant.published
    if not published or not published.accuracy:
        return "none published"
    figures = "; ".join(f"{a.metric} {a.value:g} ({a.dataset})" for a in published.accuracy[:2])
    more = f"; {len(published.accuracy) - 2} more on its card" if len(published.accuracy) > 2 else ""
    return f"{figures}{more}"


def models_table(catalog: Catalog) -> Md:
    """Every pose model: the zoo's figures on its set, how it was run, and apart the authors' own."""
    families = families_by_id(catalog)
    rows = []
    pose_models = [v for v in catalog.variants if built(v) and v.role == "model"]
    ranked = sorted(pose_models, key=lambda v: -(v.accuracy.ap.value if scored(v.accuracy) else -1.0))  # type: ignore[union-attr]
    for variant in ranked:
        accuracy = variant.accuracy
        title = Md(f"[{text(model_title(variant, families))}](zoo/{variant.id}/index.md)")
        latency = pipeline_ms(variant)
        drop = variant.int8.ap_drop if variant.int8 and variant.int8.ap_drop is not None else None
        if scored(accuracy):
            assert accuracy is not None
            figures = (_interval(accuracy.ap), _interval(accuracy.ap50), _interval(accuracy.pck_10))
        else:
            figures = (accuracy.note if accuracy else "not measured", "—", "—")
        rows.append(
            (
                title,
                *figures,
                ("flagged: " if accuracy_flag(accuracy) else "") + (use_brief(variant.use) or "—"),
                "—" if latency is None else f"{latency:.1f}",
                "—" if drop is None else points(drop),
                _published(variant),
            )
        )
    header = ("Model", "AP", "AP50", "PCK@0.1", "Run as", "Latency, whole pipeline (ms)", "int8 AP drop")
    header += ("Authors' figures (their set)",)
    return Table(header, rows, frozenset({5, 6})).markdown()


def accuracy_page(catalog: Catalog, chart_html: str, plotly_script: str) -> str:
    evaluation = catalog.evaluation
    if evaluation is None:
        said = "This build measured no accuracy (`posezoo build --no-accuracy`, or the set could not be had)."
        return f"# Accuracy\n\n{said}\n"
    counted = evaluation.set
    floor = evaluation.noise_floor
    floor_text = ""
    if floor is not None:
        second = floor.second_as_model
        disagreement = "; ".join(f"{name} {fraction(d)}" for name, d in floor.disagreement.items() if d is not None)
        floor_text = (
            f"**The noise floor.** A second, independent pass ({code(floor.second)}, {floor.people} people) scored "
            f"as if it were a model gets AP {_interval(second.ap)}, AP50 {_interval(second.ap50)} and PCK@0.1 "
            f"{_interval(second.pck_10)}. The passes disagree most on small people seen from the side or the back "
            "(which leg is the left one, where a joint under a dark coat is). Mean distance between the passes, "
            f"per keypoint, as a fraction of the person box's longer side: {text(disagreement)}."
        )
    problems = "".join(f"\n- {text(p)}" for p in evaluation.problems)
    flagged = [v.id for v in catalog.variants if accuracy_flag(v.accuracy)]
    # the table is wide: the page gives it the whole width (mkdocs-material's `hide` meta)
    return f"""---
hide: [navigation, toc]
---

# Accuracy

How well each model finds people, measured by `posezoo build` on the zoo's evaluation set
(version {code(counted.version)}: {counted.people} annotated people in {counted.images} real photos
and video frames; the truth is {code(counted.truth)}), each model run as it is meant to be. What the
figures mean and how they are counted: [the Numbers page](numbers.md#accuracy). The authors' own
figures are in their own column: they are measured on other sets by other rules, so they rank the
models of one family but do not compare with the zoo's.

--8<-- "README.md:accuracy"

{floor_text}

## Every model

AP, AP50 and PCK@0.1 in points (0–100) with their 95 % intervals. Latency is the model run once
(onnxruntime, CPU, median); a top-down or two-stage model also runs its detector once per frame and
itself once per person. "flagged" marks a model ({len(flagged)} here): even the top of its PCK@0.1
interval is below 50.

{models_table(catalog)}

## Accuracy against latency

{plotly_script}

{chart_html}

## Keypoints scored against COCO-17

{mapping_markdown(catalog)}
{"" if not problems else chr(10) + "## What the set could not score" + chr(10) + problems + chr(10)}"""
