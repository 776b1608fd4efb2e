"""Markdown a card is written in, escaped per context: everything that comes from a card or a model
file is HTML-escaped everywhere, `|` in tables, link brackets in prose; a code block's fence is
longer than any run of backticks inside it. `Md` marks Markdown these helpers wrote: the card's
template prints anything else as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote


class Md(str):
    """Markdown this module wrote from escaped parts: printed as it is."""


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
