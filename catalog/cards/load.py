"""Read the hand-written model cards (`cards/*.md`) into resolved families and variants.

A card is Markdown with YAML front matter (`catalog.cards.facts.CardSpec`). Loading resolves
everything a consumer needs, so nothing downstream re-merges defaults:
`keypoints: {schema: NAME}` comes from `_defaults.yaml` (as do the high-risk uses every page
lists as guidance), the license's terms from `catalog.cards.licenses`, and
every variant carries its own `task`, `preprocess`, `decode`, `keypoints` and `release_date`
(variant fields over family fields). A variant the card says is `unavailable` is not built: it is
one of the family's `listed` variants, with its reason, and needs none of those facts. Every
problem of a card is reported at once, one line each, naming the card file and the field
(`variants[ID].sha256: ...`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from catalog.cards.facts import (
    CardSpec,
    DefaultsSpec,
    FamilyFacts,
    HighRiskUses,
    Keypoints,
    KeypointsSpec,
    License,
    ListedFacts,
    Paper,
    Preprocess,
    Reference,
    VariantFacts,
    VariantSpec,
)
from catalog.errors import CardError
from catalog.paths import DEFAULT_CARDS, DEFAULTS_FILE

__all__ = [
    "Defaults",
    "Family",
    "Keypoints",
    "License",
    "Listed",
    "Paper",
    "Preprocess",
    "Reference",
    "Variant",
    "load_card",
    "load_cards",
    "load_cards_leniently",
    "load_defaults",
]

M = TypeVar("M", bound=BaseModel)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S)
# loc parts pydantic adds for the branch of a union or a wrapped validator: not field names
_UNION_TAG = re.compile(r"\A(str|int|float|bool|list|dict|tuple|none|.*[\[\-].*)\Z")


class Variant(VariantFacts):
    # the card's folder, which `file:` sources are relative to; no fact about the model
    base_dir: Path = Field(Path("."), exclude=True)


class Listed(ListedFacts):
    """A variant the card lists but says cannot be built (`unavailable`), with why."""


class Family(FamilyFacts):
    # the family's variants the build builds, in the card's order
    variants: list[Variant] = Field(exclude=True)
    # the variants it lists without building them (`unavailable`), in the card's order
    listed: list[Listed] = Field(default=[], exclude=True)
    # the card file
    card_path: Path = Field(exclude=True)

    def variant(self, variant_id: str) -> Variant:
        for variant in self.variants:
            if variant.id == variant_id:
                return variant
        raise KeyError(f"{self.id} has no variant {variant_id!r}")

    def detector_for(self, variant: Variant) -> Variant | None:
        return self.variant(variant.detector) if variant.detector else None


class Defaults(BaseModel):
    model_config = ConfigDict(frozen=True)

    # high-risk uses every card's pages list as guidance (not a license term)
    high_risk_uses: HighRiskUses | None = None
    # keypoint schemas by name
    keypoint_schemas: dict[str, Keypoints] = {}


def load_defaults(folder: Path) -> Defaults:
    """The folder's `_defaults.yaml`; a user's own zoo without one shares the default zoo's."""
    path = folder / DEFAULTS_FILE
    if not path.exists():
        path = DEFAULT_CARDS / DEFAULTS_FILE
    if not path.exists():
        return Defaults()
    where = str(path)
    data = _yaml(path.read_text(encoding="utf-8"), where)
    if not isinstance(data, dict):
        raise CardError(where, "expected a mapping at the top level")
    schemas = data.get("keypoint_schemas")
    if isinstance(schemas, dict):  # a shared schema's name is its key
        data["keypoint_schemas"] = {k: {"schema": k, **v} if isinstance(v, dict) else v for k, v in schemas.items()}
    spec = _validated(DefaultsSpec, data, where)
    problems: list[str] = []
    resolved = {
        name: _keypoints(schema, {}, f"keypoint_schemas.{name}", problems)
        for name, schema in spec.keypoint_schemas.items()
    }
    _raise_all(where, problems)
    return Defaults(high_risk_uses=spec.high_risk_uses, keypoint_schemas=resolved)  # type: ignore[arg-type]


def load_cards(folder: Path) -> list[Family]:
    """Every `*.md` card in `folder` (sorted by file name), with `_defaults.yaml` applied."""
    families, problems = load_cards_leniently(folder)
    if problems:
        raise problems[0]
    return families


def load_cards_leniently(folder: Path) -> tuple[list[Family], list[CardError]]:
    """The cards that read well, and one error per card that does not (each with every problem
    of that card): one broken card must not keep the others from publishing. A broken
    `_defaults.yaml` still raises."""
    folder = Path(folder)
    defaults = load_defaults(folder)
    families: list[Family] = []
    problems: list[CardError] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        try:
            family = load_card(path, defaults)
            ids = [v.id for v in family.variants] + [v.id for v in family.listed]
            for variant_id in ids:
                if variant_id in seen:
                    raise CardError(str(path), f"variants: id {variant_id!r} is also used in {seen[variant_id].name}")
        except CardError as error:
            problems.append(error)
            continue
        seen.update(dict.fromkeys(ids, path))
        families.append(family)
    return families, problems


def load_card(path: Path, defaults: Defaults | None = None) -> Family:
    """One card; `defaults` are read from the card's folder when not given."""
    path = Path(path)
    where = str(path)
    if defaults is None:
        defaults = load_defaults(path.parent)
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if not match:
        raise CardError(where, "no YAML front matter (the file must start with a '---' block)")
    data = _yaml(match[1], where, first_line=2)
    if not isinstance(data, dict):
        raise CardError(where, "front matter: expected a mapping")
    card = _validated(CardSpec, data, where)
    problems: list[str] = []
    built = [spec for spec in card.variants if spec.unavailable is None]
    variants = [_variant(card, spec, defaults, path.parent, problems) for spec in built]
    listed = [_listed(card, spec) for spec in card.variants if spec.unavailable is not None]
    _check_ids([*variants, *listed], problems)
    _raise_all(where, problems)
    return Family(
        id=card.family,
        name=card.name,
        task=card.task,
        authors=card.authors,
        paper=card.paper,
        release_date=card.release_date,
        license=License.of(card.license),
        out_of_scope=card.out_of_scope,
        limitations=card.limitations,
        references=card.references,
        card=path.name,
        body=match[2].strip(),
        variants=[v for v in variants if v is not None],
        listed=listed,
        card_path=path,
    )


# --- resolving -----------------------------------------------------------------------------


def _variant(
    card: CardSpec, spec: VariantSpec, defaults: Defaults, base_dir: Path, problems: list[str]
) -> Variant | None:
    field = f"variants[{spec.id}]"
    count = len(problems)
    pre_spec = {
        **(card.preprocess.model_dump(exclude_none=True) if card.preprocess else {}),
        **(spec.preprocess.model_dump(exclude_none=True) if spec.preprocess else {}),
    }
    pre_field = f"{field}.preprocess" if spec.preprocess else "preprocess"
    preprocess = None
    if "size" not in pre_spec:
        problems.append(f"{field}.preprocess.size: missing (family or variant)")
    else:
        try:
            preprocess = Preprocess.model_validate(pre_spec)
        except ValidationError as error:
            problems.extend(_lines(error, {}, prefix=pre_field))
    decode = spec.decode or card.decode
    if decode is None:
        problems.append(f"{field}.decode: missing (family or variant)")
    kp_spec = spec.keypoints or card.keypoints
    keypoints = None
    if kp_spec is None:
        problems.append(f"{field}.keypoints: missing (family or variant)")
    else:
        kp_field = f"{field}.keypoints" if spec.keypoints else "keypoints"
        keypoints = _keypoints(kp_spec, defaults.keypoint_schemas, kp_field, problems)
    if len(problems) > count or spec.source is None:
        return None
    return Variant(
        id=spec.id,
        name=spec.name,
        source=spec.source,
        sha256=spec.sha256,
        git_blob=spec.git_blob,
        role=spec.role,
        task=spec.task or card.task,
        preprocess=preprocess,
        decode=decode,
        keypoints=keypoints,
        release_date=spec.release_date or card.release_date,
        detector=spec.detector,
        notes=spec.notes,
        published=spec.published,
        family=card.family,
        base_dir=base_dir,
    )


def _listed(card: CardSpec, spec: VariantSpec) -> Listed:
    assert spec.unavailable is not None
    return Listed(
        id=spec.id,
        name=spec.name,
        family=card.family,
        task=spec.task or card.task,
        release_date=spec.release_date or card.release_date,
        reason=spec.unavailable.reason,
        note=spec.unavailable.note,
        source=spec.source,
        published=spec.published,
        notes=spec.notes,
    )


def _keypoints(spec: KeypointsSpec, shared: dict[str, Keypoints], field: str, problems: list[str]) -> Keypoints | None:
    if spec.names is None:
        if spec.schema not in shared:
            problems.append(f"{field}.names: missing, and no schema {spec.schema!r} in {DEFAULTS_FILE}")
            return None
        return shared[spec.schema]
    try:
        return Keypoints.model_validate(spec.model_dump())
    except ValidationError as error:
        problems.extend(_lines(error, {}, prefix=field))
        return None


def _check_ids(variants: list[Variant | Listed | None], problems: list[str]) -> None:
    found = [v for v in variants if v is not None]
    ids = [v.id for v in found]
    for variant_id in dict.fromkeys(ids):
        if ids.count(variant_id) > 1:
            problems.append(f"variants: duplicate id {variant_id!r}")
    for variant in found:
        if isinstance(variant, Listed) or variant.detector is None:
            continue
        detector = next((v for v in found if v.id == variant.detector), None)
        if detector is None:
            problems.append(f"variants[{variant.id}].detector: no variant {variant.detector!r}")
        elif isinstance(detector, Listed):
            problems.append(f"variants[{variant.id}].detector: {variant.detector!r} is unavailable, never built")
        elif detector.role != "detector":
            problems.append(f"variants[{variant.id}].detector: {variant.detector!r} has no role: detector")


# --- errors --------------------------------------------------------------------------------


class _CardLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: a date stays the text written, so an impossible one
    (2021-02-30) is the card's field error, not PyYAML's uncaught ValueError."""


_CardLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml(text: str, where: str, first_line: int = 1) -> Any:
    try:
        return yaml.load(text, Loader=_CardLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + first_line}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise CardError(where, f"YAML{at}: {problem}") from None


def _validated(model: type[M], data: dict[str, Any], where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        _raise_all(where, _lines(error, data))
        raise  # pragma: no cover - _raise_all raised


def _raise_all(where: str, problems: list[str]) -> None:
    if problems:
        first, *more = problems
        raise CardError(where, first, more)


def _lines(error: ValidationError, data: dict[str, Any], prefix: str = "") -> list[str]:
    """One `field: reason` line per problem, variants named by id; unknown keys first, since a
    misspelt key usually explains a missing one."""
    lines: dict[str, str] = {}
    ordered = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    for problem in ordered:
        field = _field_name(problem["loc"], data, prefix)
        lines.setdefault(field, f"{field}: {_reason(problem)}")
    return list(lines.values())


def _field_name(loc: tuple[Any, ...], data: dict[str, Any], prefix: str) -> str:
    name = prefix
    parts = [p for p in loc if not (isinstance(p, str) and _UNION_TAG.match(p))]
    for i, part in enumerate(parts):
        if isinstance(part, int):
            variant_id = _variant_id(data, parts[:i], part)
            name += f"[{variant_id or part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "front matter"


def _variant_id(data: dict[str, Any], path: list[Any], index: int) -> str | None:
    if path != ["variants"]:
        return None
    variants = data.get("variants")
    if isinstance(variants, list) and index < len(variants) and isinstance(variants[index], dict):
        found = variants[index].get("id")
        return found if isinstance(found, str) else None
    return None


def _reason(problem: dict[str, Any]) -> str:
    kind, message = problem["type"], str(problem["msg"])
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "string_pattern_mismatch":
        return f"{problem.get('input')!r} does not match {problem['ctx']['pattern']}"
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
