"""What one card is made of: the variant's record, its family's and the build machine's, read
from catalog.json, with its formats in the card's column order."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.cards.devices import DeviceEntry
from catalog.formats import INT8_FORMAT, TFLITE_FORMAT
from catalog.publish.model_card.markdown import Md, text
from catalog.publish.records import FORMAT_NAMES, built, families_by_id, original_format, used_by, variants_by_id
from catalog.schema import Catalog, EvaluationRecord, FamilyRecord, FormatRecord, HighRiskUses, Machine, VariantRecord

SITE_ROOT = "../../"  # the site's root from a card's page at zoo/<id>/
NUMBERS_PAGE = f"{SITE_ROOT}numbers/"
BENCHMARK_PAGE = f"{SITE_ROOT}benchmark/"  # the benchmark page, which measures the zoo on a visitor's device
# the Numbers page's anchor for each convention a figure follows
CONVENTION_ANCHORS = {
    "shapes": "shapes",
    "params": "params",
    "macs": "macs",
    "flops": "flops",
    "precision": "precision",
    "size": "size",
    "accuracy": "accuracy",
    "latency": "latency",
}
# the order of a card's columns: the original first, then its ONNX form, then the int8 form
DERIVED_FORMATS = ("onnx", INT8_FORMAT, TFLITE_FORMAT)


@dataclass(frozen=True)
class CardInputs:
    """What one card is made of: the variant's record, its family's, and the build's machine."""

    variant: VariantRecord
    family: FamilyRecord | None  # None where the catalog lacks the variant's family
    machine: Machine
    site: bool
    evaluation: EvaluationRecord | None = None  # the set the accuracy figures were measured on
    high_risk_uses: HighRiskUses | None = None  # the guidance every card lists apart from the license
    used_by: tuple[str, ...] = ()  # the pose models whose pipeline runs this variant first (a detector's)
    devices: tuple[DeviceEntry, ...] = ()  # every device's results (catalog.json's `devices`), this variant's or not

    @property
    def family_name(self) -> str:
        return self.family.name if self.family else self.variant.family

    @property
    def formats(self) -> list[str]:
        """The variant's formats: the original first (the build writes it first), then its ONNX form, the
        int8 form and a TFJS original's TFLite form."""
        if not self.variant.formats:
            return []
        original, *derived = list(self.variant.formats)
        order = {name: index for index, name in enumerate(DERIVED_FORMATS)}
        return [original, *sorted(derived, key=lambda name: order.get(name, len(order)))]

    @property
    def original(self) -> str:
        return original_format(self.variant) or self.formats[0]

    @property
    def counted(self) -> str:
        """The form the build's figures stand for: the original, or where no reader opens the
        original (a PyTorch checkpoint), its exported form."""
        return self.original if self.original in self.variant.formats else self.formats[0]

    def report(self, fmt: str) -> FormatRecord:
        return self.variant.formats[fmt]

    def format_title(self, fmt: str) -> str:
        name = FORMAT_NAMES.get(fmt, fmt)
        return f"{name} (original)" if fmt == self.original and len(self.formats) > 1 else name

    def label(self, words: str, convention: str) -> Md:
        """A figure's label; on the site, a link to how the Numbers page counts it."""
        if not self.site:
            return text(words)
        return Md(f"[{text(words)}]({NUMBERS_PAGE}#{CONVENTION_ANCHORS[convention]})")


def card_inputs(catalog: Catalog, variant_id: str, site: bool) -> CardInputs:
    variants = variants_by_id(catalog)
    if variant_id not in variants:
        raise KeyError(f"no variant {variant_id!r} in the catalog; it has {', '.join(sorted(variants))}")
    variant = variants[variant_id]
    if not built(variant):
        reason = variant.error.reason if variant.error else "no model files"
        raise ValueError(f"variant {variant_id!r} did not build ({reason}): there is nothing to describe")
    family = families_by_id(catalog).get(variant.family)
    users = tuple(v.id for v in used_by(variant, catalog))
    return CardInputs(
        variant,
        family,
        catalog.machine,
        site,
        catalog.evaluation,
        catalog.high_risk_uses,
        users,
        tuple(catalog.devices),
    )
