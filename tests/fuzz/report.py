"""The run's summary: counts per outcome, the first few failures of each class, each distinct
failure (class and place) once, and the reproducers saved for them."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.fuzz.case import Case, write_case
from tests.fuzz.outcome import Outcome


@dataclass
class Failure:
    seed: int
    index: int
    format: str
    mutator: str
    kind: str
    detail: str
    where: str
    seconds: float
    saved: str = ""  # the folder its reproducer was written to, if it was
    only: str | None = None  # the run's --only, which the case's choices depend on

    @classmethod
    def of(cls, case: Case, outcome: Outcome, only: str | None) -> Failure:
        return cls(case.seed, case.index, case.format, case.mutator, outcome.kind, outcome.detail,
                   outcome.where, round(outcome.seconds, 3), only=only)  # fmt: skip

    @property
    def replay(self) -> str:
        only = f" --only {self.only}" if self.only else ""
        return f"python -m tests.fuzz --seed {self.seed}{only} --replay {self.index}"


@dataclass
class Summary:
    seed: int
    only: str | None = None
    cases: int = 0
    seconds: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    by_format: dict[str, Counter[str]] = field(default_factory=dict)
    by_mutator: dict[str, Counter[str]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def add(self, case: Case, outcome: Outcome) -> Failure | None:
        self.cases += 1
        self.counts[outcome.kind] += 1
        self.by_format.setdefault(case.format, Counter())[outcome.kind] += 1
        self.by_mutator.setdefault(case.mutator.split(":")[0], Counter())[outcome.kind] += 1
        if not outcome.failed:
            return None
        failure = Failure.of(case, outcome, self.only)
        self.failures.append(failure)
        return failure

    @property
    def failed(self) -> int:
        return len(self.failures)

    def distinct(self) -> dict[tuple[str, str], list[Failure]]:
        """The failures grouped by signature (class and place), in order of first sighting."""
        groups: dict[tuple[str, str], list[Failure]] = {}
        for failure in sorted(self.failures, key=lambda f: f.index):
            groups.setdefault((failure.kind, failure.where), []).append(failure)
        return groups

    def text(self, examples: int = 3) -> str:
        lines = [f"fuzz seed {self.seed}: {self.cases} cases in {self.seconds:.1f} s, {self.failed} failures"]
        for kind, count in sorted(self.counts.items(), key=lambda item: (-item[1], item[0])):
            per_format = ", ".join(f"{fmt} {c[kind]}" for fmt, c in sorted(self.by_format.items()) if c[kind])
            lines.append(f"  {kind:<36} {count:>6}   ({per_format})")
        groups = self.distinct()
        if groups:
            lines.append(f"{len(groups)} distinct failures (class, place), first cases of each:")
        for (kind, where), failures in groups.items():
            lines.append(f"- {kind} at {where or '?'}: {len(failures)} cases")
            for failure in failures[:examples]:
                lines.append(f"    #{failure.index} {failure.mutator[:110]}")
                lines.append(f"      {failure.detail[:160]}")
                if failure.saved:
                    lines.append(f"      saved: {failure.saved}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"seed": self.seed, "cases": self.cases, "seconds": round(self.seconds, 1),
                "counts": dict(self.counts), "by_format": {k: dict(v) for k, v in self.by_format.items()},
                "by_mutator": {k: dict(v) for k, v in sorted(self.by_mutator.items())},
                "failures": [asdict(f) | {"replay": f.replay} for f in self.failures]}  # fmt: skip


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80]


def save_reproducer(folder: Path, failure: Failure, original: Case, minimised: Case | None) -> Path:
    """The case as generated, and as minimised, each laid out as the worker saw it, beside a
    case.json saying what it is and how to replay it."""
    target = folder / _slug(failure.kind) / _slug(f"{failure.format}-{failure.index}-{failure.where or 'x'}")
    failure.saved = str(target)
    write_case(original, target / "original")
    if minimised is not None:
        write_case(minimised, target / "minimised")
    record = asdict(failure) | {"replay": failure.replay, "entry": original.entry, "must_refuse": original.must_refuse,
                                "original_bytes": original.size(),
                                "minimised_bytes": minimised.size() if minimised else None}  # fmt: skip
    (target / "case.json").write_text(json.dumps(record, indent=1) + "\n")
    return target
