"""The card's sections, each from the catalog's records: the summary, facts and figures, inputs and
outputs, keypoints, performance, the keypoint and conversion checks, the authors' figures, the
license and usage limits, references and provenance. Numbers come from catalog.publish.formatting."""

from __future__ import annotations

import json
import re
import shlex
from typing import Protocol

from catalog.cards.facts import License
from catalog.publish.formatting import (
    billions,
    coordinate,
    count,
    difference,
    dims,
    fraction,
    memory,
    mib,
    millions,
    ms,
    ms_brief,
    percent,
    score,
)
from catalog.publish.model_card.inputs import CardInputs
from catalog.publish.model_card.markdown import Md, Table, bullets, code, fence, link, text
from catalog.publish.records import FORMAT_NAMES, use_text
from catalog.schema import CheckRecord, FamilyRecord, FormatRecord, HighRiskUses, Machine, TimingRecord

SKELETON_FILE = "skeleton.svg"


class FamilyView(Protocol):
    """What the family's sections read: a card's inputs, or a listed variant's page's."""

    @property
    def family(self) -> FamilyRecord | None: ...

    @property
    def high_risk_uses(self) -> HighRiskUses | None: ...


PAPER_KINDS = {"paper": "paper", "blog-post": "blog post", "model-card": "model card"}


def passed(value: bool) -> str:
    # words, not emoji: a machine without an emoji font shows those as boxes
    return "passed" if value else "**FAILED**"


def summary(card: CardInputs) -> Md:
    """The family card's first paragraph of prose, and the variant's notes."""
    prose = summary_of(card.family)
    parts = [prose] if prose else []
    if card.variant.notes:
        parts.append(Md(f"**About this file:** {text(card.variant.notes)}"))
    return Md("\n\n".join(parts))


def summary_of(family: FamilyRecord | None) -> Md:
    """The family card's first paragraph of prose; empty where it has none."""
    paragraphs = [p for p in re.split(r"\n\s*\n", family.body if family else "") if p.strip()]
    prose = next((p for p in paragraphs if not p.lstrip().startswith("#")), "")
    return text(prose) if prose else Md("")


def facts_table(card: CardInputs) -> Md:
    v = card.variant
    height, width = v.preprocess.size
    keypoints = v.keypoints
    rows: list[tuple[object, object]] = [
        ("Family", card.family_name),
        ("Variant", v.name),
        ("Task", v.task),
        ("Role", "detector (the first stage of a two-stage model)" if v.role == "detector" else "model"),
        (card.label("Input resolution", "shapes"), f"{height} × {width} (height × width)"),
        ("Keypoint schema", f"{keypoints.schema} ({len(keypoints.names)} keypoints)"),
        ("Release date", v.release_date),
        ("Original format", FORMAT_NAMES.get(card.original, card.original)),
    ]
    if v.detector:
        rows.insert(4, ("Runs after", Md(f"{code(v.detector)}, whose crop it expects")))
    return Table(("Fact", "Value"), rows).markdown()


def precision_split(report: FormatRecord) -> str:
    shares = sorted(report.precision_split.items(), key=lambda item: -item[1])
    return ", ".join(f"{kind} {percent(share)}" for kind, share in shares)


def figures_table(card: CardInputs) -> Md:
    reports = [card.report(fmt) for fmt in card.formats]
    rows = [
        (card.label("Params", "params"), *(count(r.params) for r in reports)),
        (card.label("Size (MiB)", "size"), *(mib(r.size_mib) for r in reports)),
        (card.label("Size (bytes)", "size"), *(count(r.size_bytes) for r in reports)),
        (card.label("MACs (millions)", "macs"), *(millions(r.macs) for r in reports)),
        (card.label("FLOPs (millions)", "flops"), *(millions(r.flops) for r in reports)),
        (card.label("Precision", "precision"), *(r.precision for r in reports)),
        (card.label("Precision split", "precision"), *(precision_split(r) for r in reports)),
    ]
    numeric = frozenset(range(1, len(reports) + 1))
    return Table(("Figure", *(card.format_title(f) for f in card.formats)), rows, numeric).markdown()


def io_table(card: CardInputs) -> Md:
    rows = []
    for fmt in card.formats:
        report = card.report(fmt)
        for kind, tensors in (("input", report.inputs), ("output", report.outputs)):
            rows += [(card.format_title(fmt), kind, code(t.name), dims(t.shape), t.dtype) for t in tensors]
    return Table(("Format", "Kind", "Name", card.label("Shape", "shapes"), "Dtype"), rows).markdown()


def keypoint_list(card: CardInputs) -> Md:
    return Md("\n".join(f"{i}. {text(name)}" for i, name in enumerate(card.variant.keypoints.names, 1)))


def skeleton_figure(card: CardInputs) -> Md:
    keypoints = card.variant.keypoints
    edges = len(keypoints.skeleton)
    alt = f"The {keypoints.schema} keypoints, labelled, and the {edges} edges drawn between them"
    return Md(f"![{text(alt)}]({SKELETON_FILE})")


def _cpu(machine: Machine) -> str:
    return f"{machine.cpu}, {machine.cores} cores" if machine.cores else machine.cpu


def _interval_ms(timing: TimingRecord) -> str:
    return f"{ms(timing.median_low_ms)}–{ms(timing.median_high_ms)}"


def _noise(timing: TimingRecord) -> str:
    if timing.noisy:
        return (
            " **Noisy:** the median's interval stayed wider than 5 % of it after the most runs; the "
            "machine was busy, so read this figure as rough."
        )
    return ""


STAGE_NAMES = {"detector": "Detector", "model": "This model", "rest": "The rest"}


def pipeline_section(card: CardInputs) -> Md:
    """The headline: the whole pipeline a user runs, then its stages beneath."""
    v = card.variant
    pipeline = v.pipeline
    if pipeline is None:
        if card.used_by:
            users = ", ".join(code(u) for u in card.used_by)
            return Md(
                f"A component, not ranked on its own: it is the first stage of {users}, and its time is "
                "counted in their pipelines (see their cards)."
            )
        return Md(f"Not timed: {text(v.pipeline_note or 'this build did not time it')}.")
    timing = pipeline.latency
    people = "one person" if pipeline.people == 1 else f"{pipeline.people} people"
    lead = Md(
        f"**Whole pipeline: {ms_brief(timing.median_ms)} ms** per frame (median; 95 % interval "
        f"{ms_brief(timing.median_low_ms)}–{ms_brief(timing.median_high_ms)} ms over {timing.runs} runs), "
        f"image in, poses out, run {text(use_text(v.use) or '')}: "
        f"every stage's preprocessing, inference and decoding, on {text(pipeline.image)} (it found {people}). "
        f"{text(timing.runtime)} {text(timing.runtime_version)}, {timing.threads} threads, "
        f"on {text(_cpu(card.machine))}. "
        f"Compute: {millions(pipeline.flops)} million FLOPs per frame.{_noise(timing)}"
    )
    rows = [
        (
            Md(f"{STAGE_NAMES[stage.role]} {code(stage.variant) if stage.variant else text('(crops, mapping back)')}"),
            ms(stage.median_ms),
            "–" if stage.inference_ms is None else ms(stage.inference_ms),
            stage.calls or "–",
        )
        for stage in pipeline.stages
    ]
    header = ("Stage", "Per frame (ms)", "Inference (ms)", "Calls")
    parts = [lead, Md("The stages, medians per frame:"), Table(header, rows, frozenset({1, 2, 3})).markdown()]
    if pipeline.mode == "top-down":
        parts.append(
            Md(
                "Top-down: the model runs once per person the detector finds, so a frame with more "
                "people takes longer by its per-person time."
            )
        )
    return Md("\n\n".join(parts))


def performance(card: CardInputs) -> Md:
    """The pipeline, then each form's inference alone (one alternating-turns run), then the browser."""
    parts = [pipeline_section(card)]
    rows, unmeasured = [], []
    timed = [card.report(fmt).latency for fmt in card.formats if card.report(fmt).latency]
    for fmt in card.formats:
        report = card.report(fmt)
        latency = report.latency
        if latency is None:
            unmeasured.append(f"{card.format_title(fmt)}: {report.latency_note or 'not measured'}")
            continue
        rows.append(
            (
                f"{card.format_title(fmt)}, {latency.runtime} {latency.runtime_version}",
                ms(latency.median_ms) + (" (noisy)" if latency.noisy else ""),
                _interval_ms(latency),
                memory(latency.model_peak_mib),
            )
        )
    if rows:
        first = timed[0]
        parts.append(
            Md(
                f"Inference alone, each form (the model's session, no pre- or post-processing): timed in one "
                f"run, in alternating turns, so their medians compare; {first.runs} runs each after "
                f"{first.warmup} warm-up runs, {first.threads} threads, on {text(_cpu(card.machine))}. Memory: "
                "what loading and running the form alone added to a fresh process."
            )
        )
        header = ("Form, runtime", "Median (ms)", "95 % interval (ms)", "Memory (MiB)")
        parts.append(Table(header, rows, frozenset({1, 2, 3})).markdown())
    else:
        parts.append(Md("No runtime timed the model's inference alone here."))
    parts.append(browser_rows(card))
    if unmeasured:
        parts.append(Md("Not timed here:\n\n" + bullets(unmeasured)))
    return Md("\n\n".join(parts))


def browser_rows(card: CardInputs) -> Md:
    """Every form on its browser runtime in headless Chromium, and the runtime the Try-it page picks."""
    measured = [(fmt, b) for fmt in card.formats for b in card.report(fmt).browser_latency or []]
    if not measured:
        why = card.variant.browser_note or "not measured by this build"
        return Md(
            f"In the browser: {text(why)} (`posezoo build` measures it unless given `--no-browser`). "
            "The Try-it page times the model in your own browser."
        )
    rows = [
        (f"{card.format_title(fmt)}, {b.runtime} {b.runtime_version}", b.threads, ms(b.median_ms), ms(b.cold_ms))
        for fmt, b in measured
    ]
    first = measured[0][1]
    options = next((b.session_options for _, b in measured if b.runtime == "onnxruntime-web"), {})
    said = ", ".join(f"`{k}: {json.dumps(v)}`" for k, v in options.items())
    parts = [
        Md(
            f"In the browser, {text(first.browser)}, {text(first.backend)}: each file the Try-it page can download, "
            f"on the runtime that runs it, inference alone, {first.runs} runs each in alternating turns"
            + (f" (onnxruntime-web with the page's session options {said})" if said else "")
            + "."
        ),
        Table(("Form, runtime", "Threads", "Median (ms)", "First run (ms)"), rows, frozenset({1, 2, 3})).markdown(),
    ]
    choice = card.variant.browser_runtime
    if choice is not None:
        against = ""
        if choice.runner_up is not None and choice.runner_up_ms is not None:
            against = f", against {text(choice.runner_up)}'s {ms(choice.runner_up_ms)} ms"
        parts.append(
            Md(
                f"The Try-it page runs it on **{text(choice.runtime)}** ({card.format_title(choice.format)}) by "
                f"default: the fastest measured here, {ms(choice.median_ms)} ms at {choice.threads} threads{against}. "
                "The others are one click away on the page."
            )
        )
    if card.variant.browser_note:
        parts.append(Md(f"Not timed in the browser: {text(card.variant.browser_note)}"))
    return Md("\n\n".join(parts))


def keypoint_check(card: CardInputs) -> Md:
    check = card.variant.keypoint_check
    if check is None:
        return Md("Not run: this build did not check the model on the annotated photo.")
    if not check.keypoints:
        return Md(f"Not run on {code(check.image)}: {text(check.note or 'no keypoint could be compared')}.")
    rows = [
        (code(k.name), coordinate(k.x), coordinate(k.y), score(k.score), fraction(k.distance))
        + ("within" if k.passed else "**beyond**",)
        for k in check.keypoints
    ]
    table = Table(("Keypoint", "x", "y", "Score", "Distance", "Result"), rows, frozenset(range(1, 5))).markdown()
    failed = [k.name for k in check.keypoints if not k.passed]
    mean = "none" if check.mean_distance is None else fraction(check.mean_distance)
    verdict = (
        f"Threshold: {fraction(check.threshold)} of the image's longer side. "
        f"Mean distance: {mean}. {len(check.keypoints) - len(failed)} of {len(check.keypoints)} keypoints "
        "within the threshold."
    )
    parts = [
        Md(
            f"A sanity check on one photo: the pose API ran on {code(check.image)}, against the hand annotation "
            f"{code(check.annotation)}. One photo is not a verdict: the model's accuracy is measured on the "
            "evaluation set (Accuracy, above), and only that flags a model."
        ),
        table,
        Md(verdict),
    ]
    if failed:
        missed = ", ".join(code(name) for name in failed)
        parts.append(Md(f"Beyond the threshold on this photo: {missed}."))
    if check.note:
        parts.append(text(check.note))
    return Md("\n\n".join(parts))


def _paired(name: str, converted: str) -> Md:
    """An output and the converted output it was compared with, the second only where its name differs."""
    return code(name) if name == converted else Md(f"{code(name)} → {code(converted)}")


def conversion_check(card: CardInputs) -> Md:
    """The ONNX form's conversion and check, then a TFJS original's TFLite form's."""
    conversion, tflite = card.variant.conversion, card.variant.tflite_conversion
    if conversion is None:
        return Md("The original is ONNX: nothing was converted.")
    versions = ", ".join(f"{name} {version}" for name, version in conversion.versions.items())
    parts = [
        Md(f"**ONNX form.** Converted by {text(conversion.converter)} ({text(versions)}), opset {conversion.opset}."),
        *_check_parts(conversion.check, "ONNX", conversion.notes),
    ]
    if tflite is not None:
        versions = ", ".join(f"{name} {version}" for name, version in tflite.versions.items())
        storage = "fp16 weights, as the original stores them" if tflite.fp16_weights else "fp32 weights"
        parts += [
            Md(
                f"**TFLite form** (for LiteRT.js in the browser). Converted by {text(tflite.converter)} "
                f"({text(versions)}) from the TFJS graph rebuilt as TensorFlow ops, {storage}, its input fixed at "
                f"{dims(tuple(tflite.input_shape))}."
            ),
            *_check_parts(tflite.check, "TFLite", tflite.notes),
        ]
    return Md("\n\n".join(parts))


def _check_parts(check: CheckRecord, form: str, notes: list[str]) -> list[Md]:
    problems = any(o.problem for o in check.outputs)  # the column is there only when a pair had one
    rows = [
        (_paired(o.name, o.converted_name), dims(o.shape), difference(o.max_abs_diff), difference(o.relative))
        + (passed(o.passed),)
        + ((o.problem,) if problems else ())
        for o in check.outputs
    ]
    header = (f"Output (→ {form} output)", "Shape", "Max abs diff", "Relative", "Result") + (
        ("Problem",) if problems else ()
    )
    parts = [
        Md(
            f"Both files ran on {text(check.input)}; outputs paired by {text(check.matched_by)}. "
            f"Each output's largest difference is divided by its range; "
            f"tolerance **{difference(check.tolerance)}**. Overall: **{passed(check.passed)}**."
        ),
        Table(header, rows, frozenset({2, 3})).markdown(),
    ]
    if notes:
        parts.append(bullets(notes))
    return parts


def published_figures(card: CardInputs) -> Md:
    published = card.variant.published
    if not published:
        return Md("")
    ours = card.report(card.counted)
    rows: list[tuple[object, ...]] = []
    if published.resolution:
        height, width = published.resolution
        ours_height, ours_width = card.variant.preprocess.size
        rows.append(("Input resolution", f"{height} × {width}", f"{ours_height} × {ours_width}"))
    if published.params_m is not None:
        rows.append(("Params (millions)", f"{published.params_m:g}", millions(ours.params)))
    if published.gflops is not None:
        rows.append(("GFLOPs", f"{published.gflops:g}", billions(ours.flops)))
    parts = [Md(f"As the authors publish them: {link(published.source.title, published.source.url)}.")]
    if rows:
        header = ("Figure", "Authors", f"This build ({FORMAT_NAMES.get(card.counted, card.counted)})")
        parts.append(Table(header, rows, frozenset({1, 2})).markdown())
        parts.append(Md("The authors count FLOPs their own way; this build's count follows the stated conventions."))
    if published.accuracy:
        accuracy = [(a.metric, a.dataset, f"{a.value:g}") for a in published.accuracy]
        parts.append(Table(("Metric", "Dataset", "Value"), accuracy, frozenset({2})).markdown())
    return Md("\n\n".join(parts))


COMMERCIAL_WORDS = {
    "allowed": "allowed: the license asks for notices, nothing more",
    "with conditions": "allowed with conditions beyond notices (below)",
    "not allowed": "not allowed: the license is non-commercial, or there is none",
    "unknown": "unknown: this zoo has no summary of this license",
}


def license_section(card: CardInputs) -> Md:
    """What binds: the license, what it obliges, and whether it allows commercial use."""
    return license_text(card.variant.license)


def license_text(record: License) -> Md:
    """A license, what it obliges and whether it allows commercial use: a card's License section."""
    parts = [
        Md(
            f"**{text(record.spdx)}** ({link('the license text', record.url)}). "
            f"Commercial use: **{text(COMMERCIAL_WORDS[record.commercial_use])}**."
        ),
        Md("What the license asks of whoever ships the model:\n\n" + bullets([text(o) for o in record.obligations])),
    ]
    if record.note:
        parts.append(text(record.note))
    parts.append(
        Md(
            "A summary for choosing a model, not legal advice: the license text decides. Nothing below this "
            "section is a license term."
        )
    )
    return Md("\n\n".join(parts))


def out_of_scope(card: FamilyView) -> Md:
    """What the authors advise against, as their own model card says it, cited."""
    family = card.family
    said = family.out_of_scope if family else None
    if said is None:
        return Md("Not recorded: the family's card names no model card of the authors that states one.")
    where = link(said.source.title, said.source.url)
    if not said.uses:
        return Md(f"The authors' own document ({where}) states no out-of-scope uses.")
    return Md(f"As the authors' own document ({where}) words them:\n\n" + bullets([text(u) for u in said.uses]))


def limitations(card: FamilyView) -> Md:
    """What the model cannot do well: technical limits, not rules."""
    said = card.family.limitations if card.family else []
    return bullets([text(item) for item in said]) if said else Md("None recorded on the family's card.")


def high_risk_uses(card: FamilyView) -> Md:
    """Guidance a deployer should weigh, labelled as guidance: no license here makes it a term."""
    guidance = card.high_risk_uses
    if guidance is None:
        return Md("None listed by this zoo.")
    where = link(guidance.source.title, guidance.source.url)
    return Md(
        f"Guidance, not a license term: uses a deployer should weigh before shipping any pose model, "
        f"whatever its license. The list is {where}, kept word for word.\n\n"
        + bullets([text(use) for use in guidance.uses])
    )


def uses_section(card: FamilyView) -> Md:
    """The advice, apart from the license: the authors' out-of-scope uses, the technical limitations,
    and the high-risk uses to weigh, each under its own heading."""
    parts = [
        ("Out of scope, as the authors say", out_of_scope(card)),
        ("Limitations", limitations(card)),
        ("High-risk uses to weigh (guidance, not a license term)", high_risk_uses(card)),
    ]
    return Md("\n\n".join(f"### {heading}\n\n{body}" for heading, body in parts))


def references(card: FamilyView) -> Md:
    items: list[Md] = []
    family = card.family
    if family and family.paper:
        kind = PAPER_KINDS.get(family.paper.kind, "paper")
        authors = ", ".join(family.authors)
        by = f", by {text(authors)}" if authors else ""
        items.append(Md(f"{link(family.paper.title, family.paper.url)} ({text(kind)}{by})"))
    items += [link(ref.title, ref.url) for ref in (family.references if family else [])]
    return bullets(items) if items else Md("None recorded.")


def provenance(card: CardInputs) -> Md:
    v, machine = card.variant, card.machine
    record = v.provenance
    rows: list[tuple[object, object]] = [("Source pin", code(record.source if record else v.source))]
    if record and record.integrity:
        rows.append(("npm integrity", code(record.integrity)))
    rows.append(("sha256 (original)", code(record.sha256 if record else v.sha256 or "")))
    if v.git_blob:
        rows.append(("git blob (pinned)", code(v.git_blob)))
    rows += [
        (f"File {text(f.name)}", Md(f"{code(f.sha256)}, {count(f.size_bytes)} bytes"))
        for f in (record.files if record else [])
    ]
    if record and record.converted_sha256:
        rows.append(("sha256 (ONNX)", code(record.converted_sha256)))
    conversion = v.conversion
    if conversion:
        versions = ", ".join(f"{name} {version}" for name, version in conversion.versions.items())
        rows.append(("Converter", f"{conversion.converter} (opset {conversion.opset}; {versions})"))
    latencies = [r.latency for r in v.formats.values() if r.latency]
    runtimes = {f"{latency.runtime} {latency.runtime_version}" for latency in latencies}
    if runtimes:
        rows.append(("Runtimes", ", ".join(sorted(runtimes))))
    built = f"{record.built_at} by posezoo {record.builder}" if record else "unknown by posezoo unknown"
    rows += [
        ("Built", built),
        ("Machine", f"{_cpu(machine)}; Python {machine.python}; {machine.platform}"),
    ]
    return Table(("Item", "Value"), rows).markdown()


def reproduce(card: CardInputs) -> Md:
    v = card.variant
    commands = [f"posezoo build --only {shlex.quote(v.id)}"]
    commands += [f"posezoo inspect {shlex.quote('build/' + card.report(fmt).path)}" for fmt in card.formats]
    return fence("\n".join(commands), "sh")
