"""The card's int8 section: the trade in one line, how the int8 form was made, the drift per
keypoint and the keypoint check run again; or why there is no int8 form."""

from __future__ import annotations

from catalog.formats import INT8_FORMAT
from catalog.publish.formatting import TRADE_LEAD, fraction, score, trade
from catalog.publish.model_card.inputs import CardInputs
from catalog.publish.model_card.markdown import Md, Table, bullets, code, text
from catalog.publish.model_card.sections import passed
from catalog.publish.model_card.snippets import python_string
from catalog.schema import Int8Record


def trade_line(card: CardInputs) -> Md | None:
    """The int8 form's trade in one line, as its card says it (the app shows it beside the
    download), or None where the variant has no int8 form."""
    said = trade(card.variant)
    return None if said is None else Md(f"**{TRADE_LEAD}:** {text(said)}.")


def _drift_table(record: Int8Record) -> Md:
    photos = record.drift
    names: list[str] = []
    for photo in photos:
        names += [k.name for k in photo.keypoints if k.name not in names]
    by_photo = [{k.name: k for k in photo.keypoints} for photo in photos]
    counted = {k.name for photo in photos for k in photo.keypoints if k.annotated}
    rows = []
    for name in names:
        cells = [fraction(p[name].distance) if name in p else "–" for p in by_photo]
        first = next(p[name] for p in by_photo if name in p)
        scores = f"{score(first.float_score)} → {score(first.int8_score)}"
        rows.append((code(name), "yes" if name in counted else "no", *cells, scores))
    header = ("Keypoint", "Annotated (counted)", *(f"Drift, photo {i}" for i in range(1, len(photos) + 1)))
    header += ("Score, float → int8 (photo 1)",)
    listing = [
        f"{i}. {code(p.image)}: "
        + (f"mean {fraction(p.mean_distance)}, max {fraction(p.max_distance)}"
           if p.mean_distance is not None and p.max_distance is not None
           else text(p.note or "nothing compared"))
        for i, p in enumerate(photos, 1)
    ]  # fmt: skip
    return Md(
        "The test photos, and the drift over the keypoints their hand annotation marks, the ones the photo shows "
        "(a fraction of the photo's longer side; a keypoint outside the photo has no true place to keep):"
        + "\n\n"
        + "\n".join(listing)
        + "\n\n"
        + Table(header, rows, frozenset(range(2, 2 + len(photos)))).markdown()
    )


def _check_side_by_side(card: CardInputs, record: Int8Record) -> Md:
    before, after = card.variant.keypoint_check, record.keypoint_check
    float_by_name = {k.name: k for k in before.keypoints} if before else {}
    rows = [
        (code(k.name), fraction(float_by_name[k.name].distance) if k.name in float_by_name else "–")
        + (fraction(k.distance), passed(k.passed))
        for k in (after.keypoints if after else [])
    ]
    if not after or not rows:
        return Md(f"The keypoint check on the int8 form: {text((after.note if after else '') or 'not run')}.")
    means = [
        "none" if check is None or check.mean_distance is None else fraction(check.mean_distance)
        for check in (before, after)
    ]
    return Md(
        f"The keypoint check run again on the int8 form, against the hand annotation {code(after.annotation)} "
        f"(mean distance: float {means[0]}, int8 {means[1]}; overall int8: **{passed(after.passed)}**):\n\n"
        + Table(("Keypoint", "Float", "int8", "int8 result"), rows, frozenset({1, 2})).markdown()
    )


def _how_quantized(card: CardInputs, record: Int8Record) -> Md:
    parts = []
    quantizer = record.quantizer
    if quantizer:
        versions = ", ".join(f"{name} {version}" for name, version in quantizer.versions.items())
        parts.append(
            Md(
                f"Quantized by {code(quantizer.tool)} ({text(versions)}): {text(quantizer.format)} format, "
                f"weights {text(quantizer.weights)}{' per channel' if quantizer.per_channel else ''}, "
                f"activations {text(quantizer.activations)}, calibrated by "
                f"{text(quantizer.calibration_method)}. Ops the quantizer has no integer form of stay float."
            )
        )
    photos = [Md(f"{code(p.image)}: {text(p.why)}") for p in record.calibration]
    parts.append(
        Md(
            "The calibration photos, each preprocessed as this model's own pipeline does "
            "(`catalog.pose`; for a two-stage model, the crop its detector finds); real photos of a person "
            "that every build has offline, neither of them a photo the int8 form is then compared on:\n\n"
            + bullets(photos)
        )
    )
    if record.runs_after:
        parts.append(
            Md(
                f"As a two-stage model's second stage, the int8 form runs after the **float** detector "
                f"{code(record.runs_after)}: the drift and the keypoint check here are this model's own, "
                "whether the detector has an int8 form of its own, and what it costs, is on its own card."
            )
        )
    if record.notes:
        parts.append(Md("What quantizing changed:\n\n" + bullets(record.notes)))
    return Md("\n\n".join(parts))


def _decided_here(card: CardInputs, record: Int8Record) -> Md | None:
    """Whether a variant keeps its int8 form depends on the CPU that built it: say so, with the margin."""
    check = card.variant.keypoint_check
    mean, threshold = record.mean_drift, check.threshold if check else None
    if mean is None or threshold is None:
        return None
    runtime = record.quantizer.versions.get("onnxruntime") if record.quantizer else None
    where = ", ".join(part for part in (card.machine.cpu, runtime and f"onnxruntime {runtime}") if part)
    verdict = "kept" if record.format else "refused"
    return Md(
        f"**Decided by this build's CPU.** An int8 form is refused when it finds nobody where the float form "
        f"finds someone, or moves the keypoints the test photos show by more than {threshold:g} of the "
        f"image on average. That drift comes from onnxruntime's int8 kernels on the CPU that built the zoo "
        f"({text(where)}); other CPUs' kernels round differently, so the same build elsewhere gives other "
        f"drifts and, near the rule, another decision. Here: mean drift {fraction(mean)} against the rule's "
        f"{threshold:g}, so this form was {verdict} with a margin of {fraction(abs(threshold - mean))}."
    )


def int8_section(card: CardInputs) -> Md:
    """The int8 form: the trade in one line, how it was made, the drift per keypoint; or why there is none."""
    record = card.variant.int8
    if record is None:
        return Md("No int8 form: this build made none.")
    if record.format is None:
        parts = [Md(f"**No int8 form:** {text(record.reason or 'not made')}.")]
        if record.drift:
            parts.append(_drift_table(record))
        parts.append(_how_quantized(card, record))
        return Md("\n\n".join(part for part in (*parts, _decided_here(card, record)) if part))
    snippet = f"PoseEstimator.from_catalog({python_string(card.variant.id)}, precision={python_string('int8')})"
    return Md(
        "\n\n".join(
            [
                trade_line(card) or Md(""),
                Md(
                    f"The int8 form is {code(card.report(INT8_FORMAT).path)}, beside the float ONNX form; its "
                    f"figures are the int8 columns and rows above. With posezoo's pose API: {code(snippet)}."
                ),
                _drift_table(record),
                _check_side_by_side(card, record),
                _how_quantized(card, record),
                _decided_here(card, record) or Md(""),
            ]
        ).rstrip()
    )
