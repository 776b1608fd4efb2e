"""The variants a family lists without building them (catalog.json's `listed`): a page of its own for
each (the site's zoo/<id>/, like a built variant's card), and a section on the cards of its built
siblings. Each says why it is not built, in words and in one line, and gives the authors' own
figures with their source, where its weights are published, and its license."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.cards.facts import PublishedFigures
from catalog.publish.model_card.markdown import Md, Table, bullets, code, link, text, url
from catalog.publish.model_card.sections import license_text, references, summary_of, uses_section
from catalog.publish.records import families_by_id, listed_in_family, listed_status, model_title
from catalog.schema import Catalog, FamilyRecord, HighRiskUses, ListedRecord


@dataclass(frozen=True)
class ListedInputs:
    """What a listed variant's page is made of: its record, its family's, and the zoo's guidance."""

    entry: ListedRecord
    family: FamilyRecord | None
    high_risk_uses: HighRiskUses | None
    site: bool


def status_line(entry: ListedRecord) -> Md:
    """Why it is not built: the reason in words, then the one line."""
    return Md(f"**{text(listed_status(entry)[:1].upper() + listed_status(entry)[1:])}.** {text(entry.note)}")


def figures_brief(published: PublishedFigures) -> str:
    """The authors' figures in one line: "480 × 480 input, 3.23 M params, 23.35 GFLOPs; PCKh@50 89.5 on MPII val"."""
    sizes = []
    if published.resolution:
        sizes.append(f"{published.resolution[0]} × {published.resolution[1]} input")
    if published.params_m is not None:
        sizes.append(f"{published.params_m:g} M params")
    if published.gflops is not None:
        sizes.append(f"{published.gflops:g} GFLOPs")
    scores = [f"{a.metric} {a.value:g} on {a.dataset}" for a in published.accuracy]
    return "; ".join(part for part in (", ".join(sizes), ", ".join(scores)) if part)


def authors_figures(published: PublishedFigures | None) -> Md:
    """The authors' figures as they publish them, with their source: sizes, then accuracy."""
    if published is None:
        return Md("None recorded on the family's card.")
    parts = [Md(f"As the authors publish them: {link(published.source.title, published.source.url)}.")]
    rows: list[tuple[object, ...]] = []
    if published.resolution:
        rows.append(("Input resolution", f"{published.resolution[0]} × {published.resolution[1]} (height × width)"))
    if published.params_m is not None:
        rows.append(("Params (millions)", f"{published.params_m:g}"))
    if published.gflops is not None:
        rows.append(("GFLOPs", f"{published.gflops:g}"))
    if rows:
        parts.append(Table(("Figure", "Authors"), rows).markdown())
        parts.append(Md("The authors count FLOPs their own way; nothing of this variant was measured here."))
    if published.accuracy:
        accuracy = [(a.metric, a.dataset, f"{a.value:g}") for a in published.accuracy]
        parts.append(Table(("Metric", "Dataset", "Value"), accuracy, frozenset({2})).markdown())
    return Md("\n\n".join(parts))


def source_line(entry: ListedRecord) -> Md:
    """Where its weights are: the published place (for reference), or the pin that could not be fetched."""
    if entry.source is None:
        return Md("Not recorded on the family's card.")
    if entry.reason == "unreachable":
        return Md(f"Pinned as {code(entry.source)}; this build could not fetch it (the status above says why).")
    shown = link("where the authors publish the weights", entry.source) if url(entry.source) else code(entry.source)
    return Md(f"{shown}: for reference only; the build never fetches it.")


def listed_section(catalog: Catalog, family_id: str, site: bool, exclude: str = "") -> Md:
    """The family's listed variants, one item each (status, the authors' figures, source, license): a
    section on a built sibling's card. Empty where the family lists none."""
    items = []
    for entry in listed_in_family(catalog, family_id):
        if entry.id == exclude:
            continue
        name = Md(f"[{text(entry.name)}](../{entry.id}/)") if site else text(entry.name)
        said = [Md(f"**{name}** ({code(entry.id)}): {status_line(entry)}")]
        if entry.published:
            where = link(entry.published.source.title, entry.published.source.url)
            said.append(Md(f"The authors' figures ({where}): {text(figures_brief(entry.published))}."))
        if entry.source:
            said.append(source_line(entry))
        said.append(Md(f"License: {text(entry.license.spdx)}."))
        items.append(Md(" ".join(said)))
    return bullets(items) if items else Md("")


def listed_page(catalog: Catalog, listed_id: str, *, site: bool = True) -> str:
    """The page of a listed variant: why it is not built, the authors' figures, its source and license,
    and its family's. A KeyError for an id the catalog does not list."""
    entries = {entry.id: entry for entry in catalog.listed}
    if listed_id not in entries:
        raise KeyError(f"no listed variant {listed_id!r} in the catalog; it lists {', '.join(sorted(entries))}")
    entry = entries[listed_id]
    families = families_by_id(catalog)
    view = ListedInputs(entry, families.get(entry.family), catalog.high_risk_uses, site)
    prose = summary_of(view.family)
    siblings = listed_section(catalog, entry.family, site, exclude=entry.id)
    sections = [
        f"# {text(model_title(entry, families))}",
        f"## {text(entry.task[:1].upper() + entry.task[1:])}",
        status_line(entry),
        *([prose] if prose else []),
        Md(
            "This page is generated from the catalog (`catalog.json`) by posezoo. The zoo lists this variant "
            f"without building it, so no figure on it was measured here. Variant id: {code(entry.id)}."
        ),
        "## Published figures",
        authors_figures(entry.published),
        *([Md(f"**About this variant:** {text(entry.notes)}")] if entry.notes else []),
        "## Source",
        source_line(entry),
        "## License",
        license_text(entry.license),
        "## Uses and limitations",
        uses_section(view),
        *(["## Also listed in this family", siblings] if siblings else []),
        "## References",
        references(view),
    ]
    return "\n\n".join(sections) + "\n"
