"""What a license binds its user to, by SPDX id, and the one rule that sums it up for commercial use.

A card states its license (SPDX id and text); this module says what that license obliges, so every
page reads the same terms from the catalog. It is a summary for choosing a model, not legal advice:
the pages link the license text. A license not listed here is "unknown": nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CommercialUse = Literal["allowed", "with conditions", "not allowed", "unknown"]
Copyleft = Literal["weak", "strong", "network"] | None

ATTRIBUTION = "keep the copyright notice and the license text with every copy"


@dataclass(frozen=True)
class Terms:
    """The clauses of a license that decide how a model may be shipped."""

    # copies must carry the notices and the license (every license here asks it)
    attribution: bool = True
    # modified files must say they were changed (Apache-2.0 §4b)
    state_changes: bool = False
    # a NOTICE file's attributions travel with the work (Apache-2.0 §4d)
    notice_file: bool = False
    # derived works share alike: weak (the licensed part), strong (the whole work), network (AGPL:
    # users over a network too)
    copyleft: Copyleft = None
    # the license rules out commercial use
    non_commercial: bool = False
    # the license restricts uses by purpose (OpenRAIL-style use clauses)
    use_restrictions: bool = False
    # the license forbids passing copies on (a personal, non-transferable license)
    no_redistribution: bool = False
    # no license at all: every right stays with the authors
    no_grant: bool = False


TERMS: dict[str, Terms] = {
    "Apache-2.0": Terms(state_changes=True, notice_file=True),
    "MIT": Terms(),
    "BSD-2-Clause": Terms(),
    "BSD-3-Clause": Terms(),
    "CC-BY-4.0": Terms(state_changes=True),
    "CC0-1.0": Terms(attribution=False),
    "LGPL-3.0-only": Terms(copyleft="weak"),
    "LGPL-3.0-or-later": Terms(copyleft="weak"),
    "GPL-3.0-only": Terms(copyleft="strong"),
    "GPL-3.0-or-later": Terms(copyleft="strong"),
    "AGPL-3.0-only": Terms(copyleft="network"),
    "AGPL-3.0-or-later": Terms(copyleft="network"),
    "CC-BY-SA-4.0": Terms(state_changes=True, copyleft="strong"),
    "CC-BY-NC-4.0": Terms(state_changes=True, non_commercial=True),
    "CC-BY-NC-SA-4.0": Terms(state_changes=True, copyleft="strong", non_commercial=True),
    "OpenRAIL": Terms(use_restrictions=True),
    # CMU's OpenPose license: noncommercial research by the licensee itself, no copies for anyone else
    "LicenseRef-CMU-OpenPose": Terms(non_commercial=True, no_redistribution=True),
    # SPDX's word for "the authors grant no license"
    "NONE": Terms(attribution=False, no_grant=True),
}

_COPYLEFT = {
    "weak": "share changes to the licensed files themselves under the same license",
    "strong": "release a work that includes it, as a whole, under the same license with its source",
    "network": "offer the source of the whole work, under the same license, to everyone who uses it "
    "over a network as well as to those you give copies (AGPL §13)",
}


def commercial_use(terms: Terms | None) -> CommercialUse:
    """The rule, in one place: non-commercial clauses, or no license at all, forbid it; copyleft or
    use clauses allow it with conditions beyond attribution; notices alone allow it."""
    if terms is None:
        return "unknown"
    if terms.non_commercial or terms.no_grant:
        return "not allowed"
    if terms.copyleft or terms.use_restrictions:
        return "with conditions"
    return "allowed"


def obligations(terms: Terms | None, spdx: str) -> list[str]:
    """What the license asks of whoever ships the model, one line each."""
    if terms is None:
        return [f"this zoo has no summary of {spdx}: read the license text before use"]
    if terms.no_grant:
        return ["none can be met: no license is granted, so using, copying or shipping it needs the authors' leave"]
    said = [ATTRIBUTION] if terms.attribution else ["none: the rights are waived"]
    if terms.notice_file:
        said.append("pass on the attributions of a NOTICE file, where the work has one")
    if terms.state_changes:
        said.append("mark the files you changed")
    if terms.copyleft:
        said.append(_COPYLEFT[terms.copyleft])
    if terms.non_commercial:
        said.append("no commercial use")
    if terms.use_restrictions:
        said.append("respect the license's own list of restricted uses and pass it on")
    if terms.no_redistribution:
        said.append("do not pass it on: no copies for others, no sublicensing, no access for third parties")
    return said


def terms_of(spdx: str) -> Terms | None:
    return TERMS.get(spdx)
