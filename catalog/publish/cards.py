"""Model cards: a Hugging Face README.md per built variant, every figure read from catalog.json.

    from catalog.publish.cards import render_card, write_cards
    text = render_card(document, "movenet-lightning")  # the README.md, front matter first
    write_cards(document, Path("build/cards"))  # <id>/README.md and <id>/skeleton.svg per variant

The card follows the Qualcomm AI Hub's layout (summary, details, performance, license,
references, usage limits) and adds what this zoo measures: inputs and outputs, the keypoint
schema's figure, the keypoint and conversion checks, the authors' own figures, runnable
snippets and the provenance. Numbers are formatted by the helpers below, once, so a figure
reads the same in every table. Everything that comes from a card or a model file is escaped:
HTML-escaped everywhere, `|` in tables, link brackets in prose; a code block's fence is longer
than any run of backticks inside it. The template prints nothing unescaped by accident: a
value that is not `Md` (Markdown this module wrote) is escaped as text when printed.
"""

from __future__ import annotations

import html
import json
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from catalog.atomic import write_text
from catalog.forms import INT8_FORMAT
from catalog.publish.skeleton import skeleton_svg

PIPELINE_TAG = "keypoint-detection"
# the Hub's library is the ONNX form: every variant has one, checked against its original, and
# it is the file the card's snippets run (onnxruntime in Python and in the browser)
LIBRARY_NAME = "onnx"
SKELETON_FILE = "skeleton.svg"
CARD_FILE = "README.md"
NUMBERS_PAGE = "../../numbers/"  # from a site page at zoo/<id>/
# the Numbers page's anchor for each convention a figure follows
CONVENTION_ANCHORS = {
    "shapes": "shapes",
    "params": "params",
    "macs": "macs",
    "flops": "flops",
    "precision": "precision",
    "size": "size",
}
FORMAT_NAMES = {"onnx": "ONNX", INT8_FORMAT: "ONNX int8", "tflite": "TFLite", "tfjs": "TFJS"}
# the order of a card's columns: the original first, then its ONNX form, then the int8 form
DERIVED_FORMATS = ("onnx", INT8_FORMAT)
PAPER_KINDS = {"paper": "paper", "blog-post": "blog post", "model-card": "model card"}
JS_ARRAYS = {
    "float32": "Float32Array",
    "float16": "Uint16Array",  # onnxruntime-web takes float16 data as its raw bits
    "int32": "Int32Array",
    "uint8": "Uint8Array",
    "int8": "Int8Array",
}
INTEGER_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint8": (0, 255), "int8": (-128, 127)}
# licenses the Hub knows by id, as their SPDX identifiers lowercased; anything else is `other`
HUB_LICENSES = frozenset(
    "apache-2.0 mit bsd-2-clause bsd-3-clause bsd-3-clause-clear bsl-1.0 cc0-1.0 cc-by-2.0 cc-by-2.5"
    " cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0"
    " cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0"
    " afl-3.0 artistic-2.0 ecl-2.0 epl-1.0 epl-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gpl-2.0 gpl-3.0"
    " lgpl-2.1 lgpl-3.0 isc mpl-2.0 odbl osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib wtfpl"
    " cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 pddl".split()
)


class Md(str):
    """Markdown this module wrote from escaped parts: printed as it is."""


# --------------------------------------------------------------------------- numbers, one way each


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


def passed(value: bool) -> str:
    return "✅ passed" if value else "❌ FAILED"


# --------------------------------------------------------------------------- escaping


def text(value: object) -> Md:
    """Card text as inline Markdown that shows the text: HTML escaped, no link syntax, one line."""
    escaped = html.escape(str(value), quote=False)
    escaped = escaped.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return Md(" ".join(escaped.split()))


def cell(value: object) -> Md:
    """A table cell: text, or Markdown this module wrote, with `|` escaped."""
    inline = value if isinstance(value, Md) else text(value)
    return Md(inline.replace("|", "\\|"))


def url(address: str) -> str | None:
    """A link target, or None where the address is not http(s): a card may not link to script."""
    if not re.fullmatch(r"https?://\S+", address or ""):
        return None
    return quote(address, safe=":/?#@!$&*+,;=%~-._")


def link(label: object, address: str) -> Md:
    """[label](address); the label alone, with the address as text, where it is not http(s)."""
    label_md = label if isinstance(label, Md) else text(label)
    target = url(address)
    return Md(f"[{label_md}]({target})") if target else Md(f"{label_md} ({text(address)})")


def code(value: object) -> Md:
    """An inline code span: shown as it is by every renderer, so no HTML escaping inside."""
    content = " ".join(str(value).split())
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", content)), default=0) + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return Md(f"{ticks}{pad}{content}{pad}{ticks}")


def fence(source: str, language: str) -> Md:
    """A fenced code block whose fence no line of `source` can close."""
    ticks = "`" * max(3, max((len(run) for run in re.findall(r"`+", source)), default=0) + 1)
    return Md(f"{ticks}{language}\n{source.rstrip()}\n{ticks}")


def bullets(items: Iterable[object]) -> Md:
    return Md("\n".join(f"- {item if isinstance(item, Md) else text(item)}" for item in items))


@dataclass(frozen=True)
class Table:
    """A Markdown table; cells are escaped when it is written."""

    header: Sequence[object]
    rows: Sequence[Sequence[object]]
    numeric: frozenset[int] = field(default_factory=frozenset)  # right-aligned columns

    def markdown(self) -> Md:
        rule = ["---:" if i in self.numeric else "---" for i in range(len(self.header))]
        lines = [self.header, rule, *self.rows]
        return Md("\n".join("| " + " | ".join(cell(c) for c in line) + " |" for line in lines))


# --------------------------------------------------------------------------- the catalog's records


@dataclass(frozen=True)
class CardInputs:
    """What one card is made of: the variant's record, its family's, and the build's machine."""

    variant: dict[str, Any]
    family: dict[str, Any]
    machine: dict[str, Any]
    site: bool

    @property
    def formats(self) -> list[str]:
        """The variant's formats: the original first, then its ONNX form, then the int8 form."""
        names = list(self.variant.get("formats") or {})
        return sorted(names, key=lambda name: DERIVED_FORMATS.index(name) + 1 if name in DERIVED_FORMATS else 0)

    @property
    def original(self) -> str:
        return self.formats[0]

    def report(self, fmt: str) -> dict[str, Any]:
        return self.variant["formats"][fmt]

    def format_title(self, fmt: str) -> str:
        name = FORMAT_NAMES.get(fmt, fmt)
        return f"{name} (original)" if fmt == self.original and len(self.formats) > 1 else name

    def label(self, words: str, convention: str) -> Md:
        """A figure's label; on the site, a link to how the Numbers page counts it."""
        if not self.site:
            return text(words)
        return Md(f"[{text(words)}]({NUMBERS_PAGE}#{CONVENTION_ANCHORS[convention]})")


def _inputs(document: dict[str, Any], variant_id: str, site: bool) -> CardInputs:
    variants = {v["id"]: v for v in document.get("variants", [])}
    if variant_id not in variants:
        raise KeyError(f"no variant {variant_id!r} in the catalog; it has {', '.join(sorted(variants))}")
    variant = variants[variant_id]
    if variant.get("status") != "ok" or not variant.get("formats"):
        reason = (variant.get("error") or {}).get("reason", "no model files")
        raise ValueError(f"variant {variant_id!r} did not build ({reason}): there is nothing to describe")
    families = {f["id"]: f for f in document.get("families", [])}
    return CardInputs(variant, families.get(variant["family"], {}), document.get("machine", {}), site)


# --------------------------------------------------------------------------- front matter


def hub_license(license_record: dict[str, Any]) -> dict[str, str]:
    """The Hub's license fields for an SPDX license: its id, or `other` with a name and a link."""
    spdx = str(license_record.get("spdx", ""))
    if spdx.lower() in HUB_LICENSES:
        return {"license": spdx.lower()}
    fields = {"license": "other", "license_name": re.sub(r"[^a-z0-9.]+", "-", spdx.lower()).strip("-") or "unknown"}
    if url(license_record.get("url", "")):
        fields["license_link"] = license_record["url"]
    return fields


def front_matter(card: CardInputs) -> Md:
    """The YAML metadata, as huggingface_hub writes it."""
    from huggingface_hub import ModelCardData

    int8 = ["int8"] if INT8_FORMAT in card.formats else []
    tags = ["pose-estimation", card.variant["keypoints"]["schema"], *card.formats, *int8, card.variant["family"]]
    tags.append("posezoo")
    data = ModelCardData(
        **hub_license(card.variant["license"]),
        library_name=LIBRARY_NAME,
        pipeline_tag=PIPELINE_TAG,
        tags=list(dict.fromkeys(tags)),
        base_model=card.variant.get("base_model"),  # only where the catalog names one
    )
    return Md(data.to_yaml())


# --------------------------------------------------------------------------- sections


def summary(card: CardInputs) -> Md:
    """The family card's first paragraph of prose, and the variant's notes."""
    paragraphs = [p for p in re.split(r"\n\s*\n", card.family.get("body", "")) if p.strip()]
    prose = next((p for p in paragraphs if not p.lstrip().startswith("#")), "")
    parts = [text(prose)] if prose else []
    if card.variant.get("notes"):
        parts.append(Md(f"**About this file:** {text(card.variant['notes'])}"))
    return Md("\n\n".join(parts))


def facts_table(card: CardInputs) -> Md:
    v = card.variant
    height, width = v["preprocess"]["size"]
    keypoints = v["keypoints"]
    rows: list[tuple[object, object]] = [
        ("Family", card.family.get("name", v["family"])),
        ("Variant", v["name"]),
        ("Task", v["task"]),
        ("Role", "detector (the first stage of a two-stage model)" if v["role"] == "detector" else "model"),
        (card.label("Input resolution", "shapes"), f"{height} × {width} (height × width)"),
        ("Keypoint schema", f"{keypoints['schema']} ({len(keypoints['names'])} keypoints)"),
        ("Release date", v["release_date"]),
        ("Original format", FORMAT_NAMES.get(card.original, card.original)),
    ]
    if v.get("detector"):
        rows.insert(4, ("Runs after", Md(f"{code(v['detector'])}, whose crop it expects")))
    return Table(("Fact", "Value"), rows).markdown()


def precision_split(report: dict[str, Any]) -> str:
    shares = sorted(report["precision_split"].items(), key=lambda item: -item[1])
    return ", ".join(f"{kind} {percent(share)}" for kind, share in shares)


def figures_table(card: CardInputs) -> Md:
    reports = [card.report(fmt) for fmt in card.formats]
    rows = [
        (card.label("Params", "params"), *(count(r["params"]) for r in reports)),
        (card.label("Size (MiB)", "size"), *(mib(r["size_mib"]) for r in reports)),
        (card.label("Size (bytes)", "size"), *(count(r["size_bytes"]) for r in reports)),
        (card.label("MACs (millions)", "macs"), *(millions(r["macs"]) for r in reports)),
        (card.label("FLOPs (millions)", "flops"), *(millions(r["flops"]) for r in reports)),
        (card.label("Precision", "precision"), *(r["precision"] for r in reports)),
        (card.label("Precision split", "precision"), *(precision_split(r) for r in reports)),
    ]
    numeric = frozenset(range(1, len(reports) + 1))
    return Table(("Figure", *(card.format_title(f) for f in card.formats)), rows, numeric).markdown()


def io_table(card: CardInputs) -> Md:
    rows = []
    for fmt in card.formats:
        report = card.report(fmt)
        for kind, tensors in (("input", report["inputs"]), ("output", report["outputs"])):
            rows += [(card.format_title(fmt), kind, code(t["name"]), dims(t["shape"]), t["dtype"]) for t in tensors]
    return Table(("Format", "Kind", "Name", card.label("Shape", "shapes"), "Dtype"), rows).markdown()


def keypoint_list(card: CardInputs) -> Md:
    return Md("\n".join(f"{i}. {text(name)}" for i, name in enumerate(card.variant["keypoints"]["names"], 1)))


def skeleton_figure(card: CardInputs) -> Md:
    keypoints = card.variant["keypoints"]
    edges = len(keypoints["skeleton"])
    alt = f"The {keypoints['schema']} keypoints, labelled, and the {edges} edges drawn between them"
    return Md(f"![{text(alt)}]({SKELETON_FILE})")


def _cpu(machine: dict[str, Any]) -> str:
    cores = machine.get("cores")
    return f"{machine.get('cpu', 'unknown CPU')}, {cores} cores" if cores else str(machine.get("cpu", "unknown CPU"))


def performance(card: CardInputs) -> Md:
    rows, unmeasured = [], []
    for fmt in card.formats:
        report = card.report(fmt)
        latency = report.get("latency")
        if latency is None:
            unmeasured.append(f"{card.format_title(fmt)}: {report.get('latency_note') or 'not measured'}")
        else:
            rows.append(
                (
                    f"{latency['runtime']} {latency['runtime_version']}",
                    card.format_title(fmt),
                    _cpu(card.machine),
                    latency["threads"],
                    ms(latency["median_ms"]),
                    ms(latency["p90_ms"]),
                    ms(latency["min_ms"]),
                    memory(latency["peak_rss_mib"]),
                    memory(latency["model_peak_mib"]),
                    f"{latency['runs']} (+{latency['warmup']} warm-up)",
                )
            )
        for b in report.get("browser_latency") or []:  # onnxruntime-web in headless Chromium, same machine
            rows.append(
                (
                    f"{b['runtime']} {b['runtime_version']}",
                    f"{card.format_title(fmt)} in {b['browser']}, {b['backend']}",
                    _cpu(card.machine),
                    b["threads"],
                    ms(b["median_ms"]),
                    ms(b["p90_ms"]),
                    "–",
                    "–",
                    "–",
                    f"{b['runs']} (+{b['warmup']} warm-up)",
                )
            )
    header = ("Runtime", "Format", "CPU", "Threads", "Median (ms)", "p90 (ms)", "Min (ms)")
    header += ("Peak memory (MiB)", "Model's share (MiB)", "Runs")
    parts = [Table(header, rows, frozenset(range(3, 9))).markdown()] if rows else [Md("No runtime measured it here.")]
    browser = [b for fmt in card.formats for b in card.report(fmt).get("browser_latency") or []]
    if browser:
        options = ", ".join(f"`{k}: {json.dumps(v)}`" for k, v in browser[0]["session_options"].items())
        parts.append(
            Md(
                "In the browser: the ONNX files the Try-it page downloads, run as the page runs them "
                f"(session options {options or 'none'}), at 1 thread and at every core."
            )
        )
    if unmeasured:
        parts.append(Md("Not measured here:\n\n" + bullets(unmeasured)))
    return Md("\n\n".join(parts))


def keypoint_check(card: CardInputs) -> Md:
    check = card.variant.get("keypoint_check")
    if check is None:
        return Md("Not run: this build did not check the model on the annotated photo.")
    if not check["keypoints"]:
        return Md(f"Not run on {code(check['image'])}: {text(check['note'] or 'no keypoint could be compared')}.")
    rows = [
        (code(k["name"]), coordinate(k["x"]), coordinate(k["y"]), score(k["score"]), fraction(k["distance"]))
        + (passed(k["passed"]),)
        for k in check["keypoints"]
    ]
    table = Table(("Keypoint", "x", "y", "Score", "Distance", "Result"), rows, frozenset(range(1, 5))).markdown()
    failed = [k["name"] for k in check["keypoints"] if not k["passed"]]
    mean = "none" if check["mean_distance"] is None else fraction(check["mean_distance"])
    verdict = (
        f"Threshold: {fraction(check['threshold'])} of the image's longer side. "
        f"Mean distance: {mean}. Overall: **{passed(check['passed'])}** "
        f"({len(check['keypoints']) - len(failed)} of {len(check['keypoints'])} keypoints within the threshold)."
    )
    parts = [
        Md(f"The pose API ran on {code(check['image'])}, against the hand annotation {code(check['annotation'])}."),
        table,
        Md(verdict),
    ]
    if failed:
        missed = ", ".join(code(name) for name in failed)
        warning = f"> ⚠️ **The keypoint check failed**: {missed} beyond the threshold. Check before relying on it."
        parts.insert(0, Md(warning))
    if check.get("note"):
        parts.append(text(check["note"]))
    return Md("\n\n".join(parts))


def _trade(card: CardInputs, record: dict[str, Any]) -> Md:
    """The int8 form's trade in one line: size, CPU and browser time, drift."""
    float_report, int8_report = card.report("onnx"), card.report(INT8_FORMAT)
    # one line a reader takes in at a glance: sizes to 2 decimals and times to 1, as the zoo table shows them
    parts = [f"{ratio(record['size_ratio'])} the size ({int8_report['size_mib']:.2f} MiB against "
             f"{float_report['size_mib']:.2f})"]  # fmt: skip
    if record.get("cpu_latency_ratio") is not None and record.get("cpu_turns"):
        turns = record["cpu_turns"]
        parts.append(
            f"{ratio(record['cpu_latency_ratio'])} the CPU time ({turns['int8_median_ms']:.1f} ms against "
            f"{turns['float_median_ms']:.1f}, {turns['runtime']}, {turns['threads']} threads, timed in turns)"
        )
    if record.get("browser_latency_ratio") is not None:
        parts.append(
            f"{ratio(record['browser_latency_ratio'])} the browser time (onnxruntime-web wasm, "
            f"{record['browser_threads']} threads)"
        )
    if record.get("mean_drift") is not None:
        parts.append(
            f"keypoints moved {fraction(record['mean_drift'])} of the image on average "
            f"(max {fraction(record['max_drift'])}) on the test photos"
        )
    return Md(f"**The trade, int8 against the float ONNX form:** {text('; '.join(parts))}.")


def int8_trade(card: CardInputs) -> Md | None:
    """The int8 form's trade in one line, as its card says it (the app shows it beside the
    download), or None where the variant has no int8 form."""
    record = card.variant.get("int8")
    return _trade(card, record) if record and INT8_FORMAT in card.formats else None


def _drift_table(record: dict[str, Any]) -> Md:
    photos = record["drift"]
    names: list[str] = []
    for photo in photos:
        names += [k["name"] for k in photo["keypoints"] if k["name"] not in names]
    by_photo = [{k["name"]: k for k in photo["keypoints"]} for photo in photos]
    counted = {k["name"] for photo in photos for k in photo["keypoints"] if k["annotated"]}
    rows = []
    for name in names:
        cells = [fraction(p[name]["distance"]) if name in p else "–" for p in by_photo]
        first = next(p[name] for p in by_photo if name in p)
        scores = f"{score(first['float_score'])} → {score(first['int8_score'])}"
        rows.append((code(name), "yes" if name in counted else "no", *cells, scores))
    header = ("Keypoint", "Annotated (counted)", *(f"Drift, photo {i}" for i in range(1, len(photos) + 1)))
    header += ("Score, float → int8 (photo 1)",)
    listing = [
        f"{i}. {code(p['image'])}: "
        + (f"mean {fraction(p['mean_distance'])}, max {fraction(p['max_distance'])}" if p["mean_distance"] is not None
           else text(p["note"] or "nothing compared"))
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


def _check_side_by_side(card: CardInputs, record: dict[str, Any]) -> Md:
    before, after = card.variant.get("keypoint_check") or {}, record.get("keypoint_check") or {}
    float_by_name = {k["name"]: k for k in before.get("keypoints", [])}
    rows = [
        (code(k["name"]), fraction(float_by_name[k["name"]]["distance"]) if k["name"] in float_by_name else "–")
        + (fraction(k["distance"]), passed(k["passed"]))
        for k in after.get("keypoints", [])
    ]
    if not rows:
        return Md(f"The keypoint check on the int8 form: {text(after.get('note') or 'not run')}.")
    means = [
        "none" if check.get("mean_distance") is None else fraction(check["mean_distance"]) for check in (before, after)
    ]
    return Md(
        f"The keypoint check run again on the int8 form, against the hand annotation {code(after['annotation'])} "
        f"(mean distance: float {means[0]}, int8 {means[1]}; overall int8: **{passed(after['passed'])}**):\n\n"
        + Table(("Keypoint", "Float", "int8", "int8 result"), rows, frozenset({1, 2})).markdown()
    )


def _how_quantized(card: CardInputs, record: dict[str, Any]) -> Md:
    parts = []
    quantizer = record.get("quantizer")
    if quantizer:
        versions = ", ".join(f"{name} {version}" for name, version in quantizer["versions"].items())
        parts.append(
            Md(
                f"Quantized by {code(quantizer['tool'])} ({text(versions)}): {text(quantizer['format'])} format, "
                f"weights {text(quantizer['weights'])}{' per channel' if quantizer['per_channel'] else ''}, "
                f"activations {text(quantizer['activations'])}, calibrated by "
                f"{text(quantizer['calibration_method'])}. Ops the quantizer has no integer form of stay float."
            )
        )
    photos = [Md(f"{code(p['image'])}: {text(p['why'])}") for p in record["calibration"]]
    parts.append(
        Md(
            "The calibration photos, each preprocessed as this model's own pipeline does "
            "(`catalog.pose`; for a two-stage model, the crop its detector finds); real photos of a person "
            "that every build has offline, neither of them a photo the int8 form is then compared on:\n\n"
            + bullets(photos)
        )
    )
    if record.get("runs_after"):
        parts.append(
            Md(
                f"As a two-stage model's second stage, the int8 form runs after the **float** detector "
                f"{code(record['runs_after'])}: the drift and the keypoint check here are this model's own, "
                "whether the detector has an int8 form of its own, and what it costs, is on its own card."
            )
        )
    if record.get("notes"):
        parts.append(Md("What quantizing changed:\n\n" + bullets(record["notes"])))
    return Md("\n\n".join(parts))


def int8_section(card: CardInputs) -> Md:
    """The int8 form: the trade in one line, how it was made, the drift per keypoint; or why there is none."""
    record = card.variant.get("int8")
    if record is None:
        return Md("No int8 form: this build made none.")
    if record.get("format") is None:
        parts = [Md(f"**No int8 form:** {text(record.get('reason') or 'not made')}.")]
        if record.get("drift"):
            parts.append(_drift_table(record))
        parts.append(_how_quantized(card, record))
        return Md("\n\n".join(parts))
    snippet = f"PoseEstimator.from_catalog({python_string(card.variant['id'])}, precision={python_string('int8')})"
    return Md(
        "\n\n".join(
            [
                _trade(card, record),
                Md(
                    f"The int8 form is {code(card.report(INT8_FORMAT)['path'])}, beside the float ONNX form; its "
                    f"figures are the int8 columns and rows above. With posezoo's pose API: {code(snippet)}."
                ),
                _drift_table(record),
                _check_side_by_side(card, record),
                _how_quantized(card, record),
            ]
        )
    )


def conversion_check(card: CardInputs) -> Md:
    conversion = card.variant.get("conversion")
    if conversion is None:
        return Md("The original is ONNX: nothing was converted.")
    check = conversion["check"]
    versions = ", ".join(f"{name} {version}" for name, version in conversion["versions"].items())
    rows = [
        (code(o["name"]), code(o["converted_name"]), dims(o["shape"]), difference(o["max_abs_diff"]))
        + (difference(o["relative"]), passed(o["passed"]), o.get("problem") or "")
        for o in check["outputs"]
    ]
    header = ("Output", "ONNX output", "Shape", "Max abs diff", "Relative", "Result", "Problem")
    parts = [
        Md(
            f"Converted by {text(conversion['converter'])} ({text(versions)}), opset {conversion['opset']}. "
            f"Both files ran on {text(check['input'])}; outputs paired by {text(check['matched_by'])}. "
            f"Each output's largest difference is divided by its range; "
            f"tolerance **{difference(check['tolerance'])}**. Overall: **{passed(check['passed'])}**."
        ),
        Table(header, rows, frozenset({3, 4})).markdown(),
    ]
    if conversion.get("notes"):
        parts.append(bullets(conversion["notes"]))
    return Md("\n\n".join(parts))


def published_figures(card: CardInputs) -> Md:
    published = card.variant.get("published")
    if not published:
        return Md("")
    ours = card.report(card.original)
    rows: list[tuple[object, ...]] = []
    if published.get("resolution"):
        height, width = published["resolution"]
        ours_height, ours_width = card.variant["preprocess"]["size"]
        rows.append(("Input resolution", f"{height} × {width}", f"{ours_height} × {ours_width}"))
    if published.get("params_m") is not None:
        rows.append(("Params (millions)", f"{published['params_m']:g}", millions(ours["params"])))
    if published.get("gflops") is not None:
        rows.append(("GFLOPs", f"{published['gflops']:g}", billions(ours["flops"])))
    parts = [Md(f"As the authors publish them: {link(published['source']['title'], published['source']['url'])}.")]
    if rows:
        header = ("Figure", "Authors", f"This build ({FORMAT_NAMES.get(card.original, card.original)})")
        parts.append(Table(header, rows, frozenset({1, 2})).markdown())
        parts.append(Md("The authors count FLOPs their own way; this build's count follows the stated conventions."))
    if published.get("accuracy"):
        accuracy = [(a["metric"], a["dataset"], f"{a['value']:g}") for a in published["accuracy"]]
        parts.append(Table(("Metric", "Dataset", "Value"), accuracy, frozenset({2})).markdown())
    return Md("\n\n".join(parts))


def license_section(card: CardInputs) -> Md:
    record = card.variant["license"]
    parts = [Md(f"**{text(record['spdx'])}**: {link('the license text', record['url'])}.")]
    if record.get("note"):
        parts.append(text(record["note"]))
    return Md("\n\n".join(parts))


def restrictions_intro(card: CardInputs) -> Md:
    if card.family.get("restrictions_are_default", True):
        return Md(
            "The family's license and model card state no restrictions of their own; this zoo applies its "
            "default list, the Qualcomm AI Hub model cards' prohibited uses. "
            "The model may not be used for or in connection with any of the following:"
        )
    source = card.family.get("restrictions_source")
    where = link(source["title"], source["url"]) if source else text("the family's model card")
    return Md(f"Out of scope, as {where} states it:")


def references(card: CardInputs) -> Md:
    items: list[Md] = []
    paper = card.family.get("paper")
    if paper:
        kind = PAPER_KINDS.get(paper.get("kind", "paper"), "paper")
        authors = ", ".join(card.family.get("authors", []))
        by = f", by {text(authors)}" if authors else ""
        items.append(Md(f"{link(paper['title'], paper['url'])} ({text(kind)}{by})"))
    items += [link(ref["title"], ref["url"]) for ref in card.family.get("references", [])]
    return bullets(items) if items else Md("None recorded.")


# --------------------------------------------------------------------------- snippets


def concrete_shape(tensor: dict[str, Any], preprocess: dict[str, Any]) -> list[int]:
    """The input's shape for one image: batch 1, the card's size where the file leaves it dynamic."""
    height, width = preprocess["size"]
    spatial = {1: height, 2: width} if preprocess["layout"] == "NHWC" else {2: height, 3: width}
    fallback = {0: 1, **spatial, (3 if preprocess["layout"] == "NHWC" else 1): 3}
    return [d if isinstance(d, int) and d > 0 else fallback.get(i, 1) for i, d in enumerate(tensor["shape"])]


def _number(value: float) -> str:
    return repr(float(value))


def _range_line(low: float, high: float) -> str:
    if (low, high) == (0.0, 255.0):
        return "x = pixels  # the model takes pixels as they are, 0..255"
    if (low, high) == (0.0, 1.0):
        return "x = pixels / 255.0  # pixels onto 0..1"
    return f"x = {_number(low)} + pixels * ({_number(high - low)} / 255.0)  # pixels onto {low:g}..{high:g}"


def python_preprocess(preprocess: dict[str, Any]) -> list[str]:
    """numpy lines turning `image` (H x W x 3 RGB uint8) into `tensor`, per the card's preprocess."""
    height, width = preprocess["size"]
    lines = [f"height, width = {height}, {width}  # the model's input"]
    if preprocess["resize"] == "letterbox":
        lines += [
            "# letterbox: keep the aspect ratio, centre the image, pad with black",
            "scale = min(height / image.shape[0], width / image.shape[1])",
            "h, w = round(image.shape[0] * scale), round(image.shape[1] * scale)",
            "top, left = (height - h) // 2, (width - w) // 2",
            "pixels = np.zeros((height, width, 3), np.float32)",
            "pixels[top : top + h, left : left + w] = resize(image, (h, w), preserve_range=True, anti_aliasing=True)",
        ]
    else:
        lines.append("pixels = resize(image, (height, width), preserve_range=True, anti_aliasing=True)  # stretch")
    if preprocess["channels"] == "BGR":
        lines.append("pixels = pixels[..., ::-1]  # the model takes BGR")
    low, high = preprocess["range"]
    lines.append(_range_line(low, high))
    if preprocess.get("mean") is not None:
        mean = ", ".join(_number(m) for m in preprocess["mean"])
        std = ", ".join(_number(s) for s in preprocess["std"])
        lines.append(f"x = (x - np.array([{mean}])) / np.array([{std}])  # per channel")
    dtype = preprocess["dtype"]
    if dtype in INTEGER_RANGES:
        lowest, highest = INTEGER_RANGES[dtype]
        fits = preprocess.get("mean") is None and lowest <= min(low, high) and max(low, high) <= highest
        lines.append("x = np.rint(x)" if fits else f"x = np.clip(np.rint(x), {lowest}, {highest})")
    transpose = ".transpose(0, 3, 1, 2)" if preprocess["layout"] == "NCHW" else ""
    lines.append(f"tensor = x.astype(np.{dtype})[None]{transpose}  # a batch of one, {preprocess['layout']}")
    return lines


def python_string(value: str) -> str:
    """A Python string literal, double-quoted as the project writes them (JSON's escapes are Python's)."""
    return json.dumps(value)


def python_snippet_pose(card: CardInputs) -> str:
    v = card.variant
    return "\n".join(
        [
            "from skimage import data",
            "",
            "from catalog.pose import PoseEstimator",
            "",
            "# reads build/catalog.json and the ONNX file `posezoo build` wrote",
            f'estimator = PoseEstimator.from_catalog({python_string(v["id"])}, build_dir="build")',
            "image = data.astronaut()  # any RGB image: H x W x 3, uint8",
            "pose = estimator.best(image)  # None when nobody is there",
            "if pose is not None:",
            f"    name = {python_string(v['keypoints']['names'][0])}",
            '    print(name, "at", pose[name], "score", round(pose.score, 2))  # x, y in 0..1 of the image',
        ]
    )


def python_snippet_onnxruntime(card: CardInputs) -> str:
    v = card.variant
    onnx = card.report("onnx")
    first_input = onnx["inputs"][0]
    outputs = [" ".join(f"# {o['name']}: {dims(o['shape'])}, {o['dtype']}".split()) for o in onnx["outputs"]]
    lines = [
        "import numpy as np",
        "import onnxruntime as ort",
        "from skimage import data",
        "from skimage.transform import resize",
        "",
        "image = data.astronaut()  # any RGB image: H x W x 3, uint8",
        *python_preprocess(v["preprocess"]),
        "",
        f"session = ort.InferenceSession({python_string('build/' + onnx['path'])})",
        f"outputs = session.run(None, {{{python_string(first_input['name'])}: tensor}})",
        *outputs,
        "for output, value in zip(session.get_outputs(), outputs):",
        "    print(output.name, value.shape, value.dtype)",
    ]
    return "\n".join(lines)


def javascript_snippet(card: CardInputs) -> str:
    onnx = card.report("onnx")
    tensor = onnx["inputs"][0]
    shape = concrete_shape(tensor, card.variant["preprocess"])
    pre = card.variant["preprocess"]
    size = " * ".join(str(d) for d in shape)
    array = JS_ARRAYS.get(tensor["dtype"], "Float32Array")
    low, high = pre["range"]
    normalised = "" if pre.get("mean") is None else ", then (x - mean) / std per channel"
    output = onnx["outputs"][0]
    return "\n".join(
        [
            "import * as ort from 'onnxruntime-web';",
            "",
            f"// {Path(onnx['path']).name}: the ONNX file of this card, served beside the page",
            f"const session = await ort.InferenceSession.create({json.dumps(Path(onnx['path']).name)});",
            "",
            f"// {pre['channels']} pixels, {pre['resize']} to {pre['size'][0]} x {pre['size'][1]}, "
            f"mapped onto {low:g}..{high:g}{normalised}, {pre['layout']}",
            f"const data = new {array}({size}); // fill with the preprocessed image",
            f"const input = new ort.Tensor({json.dumps(tensor['dtype'])}, data, {json.dumps(shape)});",
            f"const outputs = await session.run({{ {json.dumps(tensor['name'])}: input }});",
            f"const output = outputs[{json.dumps(output['name'])}]; // {output['dtype']}, {dims(output['shape'])}",
            "console.log(output.dims, output.data);",
        ]
    )


def usage(card: CardInputs) -> dict[str, Md]:
    v = card.variant
    if "onnx" not in v["formats"]:
        nothing = Md("No ONNX form was built, so there is nothing here to run.")
        return {"pose": nothing, "onnxruntime": Md(""), "javascript": Md(""), "decode": Md("")}
    two_stage = ""
    if v.get("detector"):
        two_stage = (
            f" This model expects the crop its detector {code(v['detector'])} finds: `PoseEstimator` runs both "
            "stages, the raw snippet runs this model alone on the whole image."
        )
    return {
        "pose": fence(python_snippet_pose(card), "python"),
        "onnxruntime": fence(python_snippet_onnxruntime(card), "python"),
        "javascript": fence(javascript_snippet(card), "js"),
        "decode": Md(
            f"The outputs are the model's raw tensors; {code('catalog.pose')} decodes them "
            f"(decoder {code(v['decode'])}).{two_stage}"
        ),
    }


# --------------------------------------------------------------------------- provenance


def provenance(card: CardInputs) -> Md:
    v, machine = card.variant, card.machine
    record = v.get("provenance") or {}
    rows: list[tuple[object, object]] = [("Source pin", code(record.get("source", v["source"])))]
    if record.get("integrity"):
        rows.append(("npm integrity", code(record["integrity"])))
    rows.append(("sha256 (original)", code(record.get("sha256", v.get("sha256") or ""))))
    rows += [
        (f"File {text(f['name'])}", Md(f"{code(f['sha256'])}, {count(f['size_bytes'])} bytes"))
        for f in record.get("files", [])
    ]
    if record.get("converted_sha256"):
        rows.append(("sha256 (ONNX)", code(record["converted_sha256"])))
    conversion = v.get("conversion")
    if conversion:
        versions = ", ".join(f"{name} {version}" for name, version in conversion["versions"].items())
        rows.append(("Converter", f"{conversion['converter']} (opset {conversion['opset']}; {versions})"))
    latencies = [r["latency"] for r in v["formats"].values() if r.get("latency")]
    runtimes = {f"{latency['runtime']} {latency['runtime_version']}" for latency in latencies}
    if runtimes:
        rows.append(("Runtimes", ", ".join(sorted(runtimes))))
    rows += [
        ("Built", f"{record.get('built_at', 'unknown')} by posezoo {record.get('builder', 'unknown')}"),
        ("Machine", f"{_cpu(card.machine)}; Python {machine.get('python', '?')}; {machine.get('platform', '?')}"),
    ]
    return Table(("Item", "Value"), rows).markdown()


def reproduce(card: CardInputs) -> Md:
    v = card.variant
    commands = [f"posezoo build --only {shlex.quote(v['id'])}"]
    commands += [f"posezoo inspect {shlex.quote('build/' + card.report(fmt)['path'])}" for fmt in card.formats]
    return fence("\n".join(commands), "sh")


# --------------------------------------------------------------------------- the card


def _printed(value: object) -> object:
    # every `{{ }}` of the template: Markdown this module wrote as it is, anything else as text
    return value if isinstance(value, Md) else text(value)


@cache
def _template():  # -> jinja2.Template
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(
        loader=PackageLoader("catalog.publish", "templates"),
        autoescape=False,  # Markdown, not HTML: escaping is this module's, per context
        finalize=_printed,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("card.md.j2")


def render_card(document: dict[str, Any], variant_id: str, *, site: bool = False, metadata: bool = True) -> str:
    """The Hugging Face README.md of a built variant of `document` (catalog.json): YAML front
    matter, then the card. `site=True` links figure labels to the docs site's Numbers page,
    for a page at zoo/<id>/. `metadata=False` leaves the front matter out (the app shows the card
    alone, and needs no huggingface_hub). A KeyError for an unknown variant, a ValueError for one
    that failed."""
    card = _inputs(document, variant_id, site)
    v, family = card.variant, card.family
    sections = {
        "front_matter": front_matter(card) if metadata else Md(""),
        "title": text(f"{family.get('name', v['family'])} {v['name']}"),
        "task": text(v["task"][:1].upper() + v["task"][1:]),
        "variant_id": code(v["id"]),
        "summary": summary(card),
        "facts": facts_table(card),
        "figures": figures_table(card),
        "io": io_table(card),
        "keypoint_schema": text(v["keypoints"]["schema"]),
        "keypoint_count": len(v["keypoints"]["names"]),
        "keypoint_list": keypoint_list(card),
        "skeleton": skeleton_figure(card),
        "performance": performance(card),
        "keypoint_check": keypoint_check(card),
        "conversion_check": conversion_check(card),
        "int8": int8_section(card),
        "published": published_figures(card),
        "license": license_section(card),
        "restrictions_intro": restrictions_intro(card),
        "restrictions": bullets(v["usage_restrictions"]),
        "references": references(card),
        "usage": usage(card),
        "library_name": code(LIBRARY_NAME),
        "provenance": provenance(card),
        "reproduce": reproduce(card),
        "conventions": Md(f"[the Numbers page]({NUMBERS_PAGE})") if site else code("catalog/measure/conventions.md"),
    }
    return _template().render(**sections)


def write_cards(document: dict[str, Any], out_dir: Path) -> list[Path]:
    """`out_dir/<id>/README.md` and `out_dir/<id>/skeleton.svg` for every variant that built; the paths written."""
    written: list[Path] = []
    for variant in document.get("variants", []):
        if variant.get("status") != "ok" or not variant.get("formats"):
            continue
        folder = Path(out_dir) / variant["id"]
        keypoints = variant["keypoints"]
        files = {
            folder / CARD_FILE: render_card(document, variant["id"]),
            folder / SKELETON_FILE: skeleton_svg(keypoints["schema"], keypoints["names"], keypoints["skeleton"]),
        }
        for path, content in files.items():
            write_text(path, content)
            written.append(path)
    return written
