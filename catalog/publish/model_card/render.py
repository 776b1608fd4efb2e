"""The card as a whole: the template (templates/card.md.j2) filled with the sections, and the
cards of a catalog written to a folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from catalog.atomic import write_text
from catalog.publish.model_card.accuracy import accuracy_section, glance
from catalog.publish.model_card.devices import devices_section
from catalog.publish.model_card.inputs import NUMBERS_PAGE, card_inputs
from catalog.publish.model_card.int8 import int8_section
from catalog.publish.model_card.listed import listed_section
from catalog.publish.model_card.markdown import Md, code, text
from catalog.publish.model_card.metadata import LIBRARY_NAME, front_matter
from catalog.publish.model_card.sections import (
    SKELETON_FILE,
    conversion_check,
    facts_table,
    figures_table,
    io_table,
    keypoint_check,
    keypoint_list,
    license_section,
    performance,
    provenance,
    published_figures,
    references,
    reproduce,
    skeleton_figure,
    summary,
    uses_section,
)
from catalog.publish.model_card.snippets import usage
from catalog.publish.records import built
from catalog.publish.skeleton import skeleton_svg
from catalog.schema import Catalog

CARD_FILE = "README.md"


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


def render_card(catalog: Catalog, variant_id: str, *, site: bool = False, metadata: bool = True) -> str:
    """The Hugging Face README.md of a built variant of `catalog` (catalog.json): YAML front
    matter, then the card. `site=True` links figure labels to the docs site's Numbers page,
    for a page at zoo/<id>/. `metadata=False` leaves the front matter out (the app shows the card
    alone, and needs no huggingface_hub). A KeyError for an unknown variant, a ValueError for one
    that failed."""
    card = card_inputs(catalog, variant_id, site)
    v = card.variant
    sections = {
        "front_matter": front_matter(card) if metadata else Md(""),
        "title": text(f"{card.family_name} {v.name}"),
        "task": text(v.task[:1].upper() + v.task[1:]),
        "variant_id": code(v.id),
        "summary": summary(card),
        "glance": glance(card),
        "accuracy": accuracy_section(card),
        "facts": facts_table(card),
        "figures": figures_table(card),
        "io": io_table(card),
        "keypoint_schema": text(v.keypoints.schema),
        "keypoint_count": len(v.keypoints.names),
        "keypoint_list": keypoint_list(card),
        "skeleton": skeleton_figure(card),
        "performance": performance(card),
        "devices": devices_section(card),
        "keypoint_check": keypoint_check(card),
        "conversion_check": conversion_check(card),
        "int8": int8_section(card),
        "published": published_figures(card),
        "listed": listed_section(catalog, v.family, site, exclude=v.id),
        "license": license_section(card),
        "uses": uses_section(card),
        "references": references(card),
        "usage": usage(card),
        "library_name": code(LIBRARY_NAME),
        "provenance": provenance(card),
        "reproduce": reproduce(card),
        "conventions": Md(f"[the Numbers page]({NUMBERS_PAGE})") if site else code("catalog/measure/conventions.md"),
    }
    return _template().render(**sections)


def write_cards(catalog: Catalog, out_dir: Path) -> list[Path]:
    """`out_dir/<id>/README.md` and `out_dir/<id>/skeleton.svg` for every variant that built; the paths written."""
    written: list[Path] = []
    for variant in catalog.variants:
        if not built(variant):
            continue
        folder = Path(out_dir) / variant.id
        keypoints = variant.keypoints
        files = {
            folder / CARD_FILE: render_card(catalog, variant.id),
            folder / SKELETON_FILE: skeleton_svg(keypoints.schema, keypoints.names, keypoints.skeleton),
        }
        for path, content in files.items():
            write_text(path, content)
            written.append(path)
    return written
