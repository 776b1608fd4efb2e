"""Read the hand-written model cards (`model_cards/*.md`) into typed, validated families.

A card is Markdown with YAML front matter: the facts no model file can tell (sources, paper,
release date, license, usage restrictions, keypoint schema, pre/post-processing). Loading
resolves everything a consumer needs, so nothing downstream re-merges defaults:
`usage_restrictions: default` and `keypoints: {schema: NAME}` come from `_defaults.yaml`, and
every variant carries its own resolved `task`, `preprocess`, `decode`, `keypoints` and
`release_date` (variant fields over family fields). Every problem is one `ModelError` whose
message names the card file and the field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from catalog.errors import ModelError
from catalog.fetch.sources import parse_source
from catalog.paths import DEFAULT_CARDS, DEFAULTS_FILE

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S)
_DATE = re.compile(r"\A\d{4}(-\d{2}(-\d{2})?)?\Z")
_SHA256 = re.compile(r"\A[0-9a-f]{64}\Z")
_ID = re.compile(r"\A[a-z0-9][a-z0-9._-]*\Z")

LAYOUTS = ("NHWC", "NCHW")
DTYPES = ("float32", "float16", "int32", "uint8", "int8")
RESIZE_MODES = ("stretch", "letterbox")
ROLES = ("model", "detector")

_FAMILY_KEYS = {
    "family",
    "name",
    "task",
    "keypoints",
    "preprocess",
    "decode",
    "authors",
    "paper",
    "release_date",
    "license",
    "usage_restrictions",
    "usage_restrictions_source",
    "references",
    "variants",
}
_VARIANT_KEYS = {
    "id",
    "name",
    "source",
    "sha256",
    "role",
    "task",
    "preprocess",
    "decode",
    "keypoints",
    "release_date",
    "detector",
    "notes",
}
_PREPROCESS_KEYS = {"size", "layout", "dtype", "range", "mean", "std", "resize", "channels"}


@dataclass(frozen=True)
class Reference:
    title: str
    url: str


@dataclass(frozen=True)
class Paper:
    """What the family is published as; `kind` says honestly when it is not a paper."""

    title: str
    url: str
    kind: str = "paper"  # paper | blog-post | model-card


@dataclass(frozen=True)
class License:
    spdx: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class Keypoints:
    schema: str
    names: tuple[str, ...]
    skeleton: tuple[tuple[int, int], ...]

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass(frozen=True)
class Preprocess:
    """How an RGB image becomes the model's input tensor.

    Pixels (0..255) are mapped linearly onto `range`, then `(x - mean) / std` per channel
    when given. `size` is (height, width), used where the file leaves the input dynamic.
    """

    size: tuple[int, int]
    layout: str = "NHWC"
    dtype: str = "float32"
    range: tuple[float, float] = (0.0, 1.0)
    mean: tuple[float, float, float] | None = None
    std: tuple[float, float, float] | None = None
    resize: str = "stretch"  # stretch | letterbox (keep aspect, pad with black)
    channels: str = "RGB"


@dataclass
class Variant:
    id: str
    name: str
    source: str  # as written on the card; parse with catalog.fetch.sources.parse_source
    sha256: str | None
    role: str
    task: str
    preprocess: Preprocess
    decode: str
    keypoints: Keypoints
    release_date: str
    detector: str | None = None  # id of the variant whose crop this model expects
    notes: str = ""
    family: str = ""
    base_dir: Path = Path(".")  # the card's folder: `file:` sources are relative to it


@dataclass
class Family:
    id: str
    name: str
    task: str
    authors: list[str]
    paper: Paper | None
    release_date: str
    license: License
    usage_restrictions: list[str]
    restrictions_are_default: bool
    restrictions_source: Reference | None
    references: list[Reference]
    variants: list[Variant]
    card_path: Path
    body: str = ""  # the Markdown prose under the front matter

    def variant(self, variant_id: str) -> Variant:
        for variant in self.variants:
            if variant.id == variant_id:
                return variant
        raise KeyError(f"{self.id} has no variant {variant_id!r}")

    def detector_for(self, variant: Variant) -> Variant | None:
        return self.variant(variant.detector) if variant.detector else None


@dataclass
class Defaults:
    usage_restrictions: list[str] = field(default_factory=list)
    keypoint_schemas: dict[str, Keypoints] = field(default_factory=dict)


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
        raise ModelError(where, "expected a mapping at the top level")
    restrictions = _str_list(data.get("usage_restrictions", []), where, "usage_restrictions")
    schemas: dict[str, Keypoints] = {}
    raw_schemas = data.get("keypoint_schemas", {}) or {}
    if not isinstance(raw_schemas, dict):
        raise ModelError(where, "keypoint_schemas: expected a mapping of schema name to names")
    for name, spec in raw_schemas.items():
        spec = {"schema": name, **spec} if isinstance(spec, dict) else spec
        schemas[name] = _keypoints(spec, where, f"keypoint_schemas.{name}", {})
    return Defaults(restrictions, schemas)


def load_cards(folder: Path) -> list[Family]:
    """Every `*.md` card in `folder` (sorted by file name), with `_defaults.yaml` applied."""
    families, problems = load_cards_leniently(folder)
    if problems:
        raise problems[0]
    return families


def load_cards_leniently(folder: Path) -> tuple[list[Family], list[ModelError]]:
    """The cards that read well, and one error per card that does not: one broken card must
    not keep the others from publishing. A broken `_defaults.yaml` still raises."""
    folder = Path(folder)
    defaults = load_defaults(folder)
    families: list[Family] = []
    problems: list[ModelError] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        try:
            family = load_card(path, defaults)
            for variant in family.variants:
                if variant.id in seen:
                    raise ModelError(str(path), f"variants: id {variant.id!r} is also used in {seen[variant.id].name}")
        except ModelError as error:
            problems.append(error)
            continue
        seen.update({variant.id: path for variant in family.variants})
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
        raise ModelError(where, "no YAML front matter (the file must start with a '---' block)")
    data = _yaml(match[1], where, first_line=2)
    if not isinstance(data, dict):
        raise ModelError(where, "front matter: expected a mapping")
    _no_unknown(data, _FAMILY_KEYS, where, "")

    family_id = _required_str(data, "family", where)
    if not _ID.match(family_id):
        raise ModelError(where, f"family: {family_id!r} is not a lowercase id")
    task = _required_str(data, "task", where)
    release_date = _date(_required(data, "release_date", where), where, "release_date")
    family_pre = data.get("preprocess")
    if family_pre is not None and not isinstance(family_pre, dict):
        raise ModelError(where, "preprocess: expected a mapping")
    family_keypoints = data.get("keypoints")
    family_decode = data.get("decode")

    restrictions, is_default, restrictions_source = _restrictions(data, defaults, where)
    raw_variants = _required(data, "variants", where)
    if not isinstance(raw_variants, list) or not raw_variants:
        raise ModelError(where, "variants: expected a non-empty list")

    variants: list[Variant] = []
    for i, raw in enumerate(raw_variants):
        field_ = f"variants[{i}]"
        if not isinstance(raw, dict):
            raise ModelError(where, f"{field_}: expected a mapping")
        _no_unknown(raw, _VARIANT_KEYS, where, field_ + ".")
        variant_id = _required_str(raw, "id", where, field_)
        if not _ID.match(variant_id):
            raise ModelError(where, f"{field_}.id: {variant_id!r} is not a lowercase id")
        field_ = f"variants[{variant_id}]"
        source_text = _required_str(raw, "source", where, field_)
        try:
            origin = parse_source(source_text)
        except ValueError as exc:
            raise ModelError(where, f"{field_}.source: {exc}") from None
        sha = raw.get("sha256")
        if sha is None and origin.kind != "file":
            raise ModelError(where, f"{field_}.sha256: required for {origin.kind} sources")
        if sha is not None and not (isinstance(sha, str) and _SHA256.match(sha)):
            raise ModelError(where, f"{field_}.sha256: expected 64 lowercase hex digits")
        role = raw.get("role", "model")
        if role not in ROLES:
            raise ModelError(where, f"{field_}.role: expected one of {', '.join(ROLES)}")

        pre_spec = _merge(family_pre, raw.get("preprocess"), where, f"{field_}.preprocess")
        if pre_spec is None:
            raise ModelError(where, f"{field_}.preprocess: missing (family or variant)")
        decode = raw.get("decode", family_decode)
        if not isinstance(decode, str) or not decode:
            raise ModelError(where, f"{field_}.decode: missing (family or variant)")
        kp_spec = raw.get("keypoints", family_keypoints)
        if kp_spec is None:
            raise ModelError(where, f"{field_}.keypoints: missing (family or variant)")
        kp_field = f"{field_}.keypoints" if "keypoints" in raw else "keypoints"
        variants.append(
            Variant(
                id=variant_id,
                name=_required_str(raw, "name", where, field_),
                source=source_text,
                sha256=sha,
                role=role,
                task=_str(raw.get("task", task), where, f"{field_}.task"),
                preprocess=_preprocess(
                    pre_spec, where, f"{field_}.preprocess" if "preprocess" in raw else "preprocess"
                ),
                decode=decode,
                keypoints=_keypoints(kp_spec, where, kp_field, defaults.keypoint_schemas),
                release_date=_date(raw.get("release_date", release_date), where, f"{field_}.release_date"),
                detector=raw.get("detector"),
                notes=_str(raw.get("notes", ""), where, f"{field_}.notes"),
                family=family_id,
                base_dir=path.parent,
            )
        )

    ids = [v.id for v in variants]
    for variant_id in ids:
        if ids.count(variant_id) > 1:
            raise ModelError(where, f"variants: duplicate id {variant_id!r}")
    for variant in variants:
        if variant.detector is not None:
            if variant.detector not in ids:
                raise ModelError(where, f"variants[{variant.id}].detector: no variant {variant.detector!r}")
            if next(v for v in variants if v.id == variant.detector).role != "detector":
                raise ModelError(
                    where,
                    f"variants[{variant.id}].detector: {variant.detector!r} has no role: detector",
                )

    return Family(
        id=family_id,
        name=_required_str(data, "name", where),
        task=task,
        authors=_str_list(_required(data, "authors", where), where, "authors"),
        paper=_paper(data.get("paper"), where),
        release_date=release_date,
        license=_license(_required(data, "license", where), where),
        usage_restrictions=restrictions,
        restrictions_are_default=is_default,
        restrictions_source=restrictions_source,
        references=[
            _reference(r, where, f"references[{i}]")
            for i, r in enumerate(_list(data.get("references", []), where, "references"))
        ],
        variants=variants,
        card_path=path,
        body=match[2].strip(),
    )


# --- field readers: each raises ModelError(card, "field: reason") -------------------------


def _yaml(text: str, where: str, first_line: int = 1) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + first_line}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ModelError(where, f"YAML{at}: {problem}") from None


def _no_unknown(data: dict[str, Any], known: set[str], where: str, prefix: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise ModelError(where, f"{prefix}{unknown[0]}: unknown field")


def _required(data: dict[str, Any], key: str, where: str, prefix: str = "") -> Any:
    if data.get(key) is None:
        raise ModelError(where, f"{prefix + '.' if prefix else ''}{key}: missing")
    return data[key]


def _required_str(data: dict[str, Any], key: str, where: str, prefix: str = "") -> str:
    name = f"{prefix + '.' if prefix else ''}{key}"
    return _str(_required(data, key, where, prefix), where, name)


def _str(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str):
        raise ModelError(where, f"{name}: expected text")
    return value.strip()


def _list(value: Any, where: str, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ModelError(where, f"{name}: expected a list")
    return value


def _str_list(value: Any, where: str, name: str) -> list[str]:
    items = _list(value, where, name)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise ModelError(where, f"{name}[{i}]: expected text")
    return [item.strip() for item in items]


def _date(value: Any, where: str, name: str) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not _DATE.match(value):
        raise ModelError(where, f"{name}: expected YYYY-MM-DD (or YYYY-MM, YYYY)")
    return value


def _url(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str) or not re.match(r"\Ahttps?://\S+\Z", value):
        raise ModelError(where, f"{name}: expected an http(s) URL")
    return value


def _reference(value: Any, where: str, name: str) -> Reference:
    if not isinstance(value, dict):
        raise ModelError(where, f"{name}: expected {{title, url}}")
    return Reference(_required_str(value, "title", where, name), _url(value.get("url"), where, f"{name}.url"))


def _paper(value: Any, where: str) -> Paper | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ModelError(where, "paper: expected {title, url, kind}")
    kind = value.get("kind", "paper")
    if kind not in ("paper", "blog-post", "model-card"):
        raise ModelError(where, "paper.kind: expected paper, blog-post or model-card")
    return Paper(
        _required_str(value, "title", where, "paper"),
        _url(value.get("url"), where, "paper.url"),
        kind,
    )


def _license(value: Any, where: str) -> License:
    if not isinstance(value, dict):
        raise ModelError(where, "license: expected {spdx, url}")
    return License(
        _required_str(value, "spdx", where, "license"),
        _url(value.get("url"), where, "license.url"),
        _str(value.get("note", ""), where, "license.note"),
    )


def _restrictions(data: dict[str, Any], defaults: Defaults, where: str) -> tuple[list[str], bool, Reference | None]:
    value = data.get("usage_restrictions", "default")
    source = data.get("usage_restrictions_source")
    if value == "default":
        if not defaults.usage_restrictions:
            raise ModelError(where, f"usage_restrictions: 'default' but no list in {DEFAULTS_FILE}")
        return list(defaults.usage_restrictions), True, None
    items = _str_list(value, where, "usage_restrictions")
    if not items:
        raise ModelError(where, "usage_restrictions: empty list (write 'default' instead)")
    ref = _reference(source, where, "usage_restrictions_source") if source else None
    return items, False, ref


def _merge(base: dict[str, Any] | None, override: Any, where: str, name: str) -> dict[str, Any] | None:
    if override is None:
        return base
    if not isinstance(override, dict):
        raise ModelError(where, f"{name}: expected a mapping")
    return {**(base or {}), **override}


def _numbers(value: Any, count: int, where: str, name: str) -> tuple[float, ...]:
    if (
        not isinstance(value, list)
        or len(value) != count
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise ModelError(where, f"{name}: expected {count} numbers")
    return tuple(float(v) for v in value)


def _preprocess(spec: dict[str, Any], where: str, name: str) -> Preprocess:
    _no_unknown(spec, _PREPROCESS_KEYS, where, name + ".")
    size = spec.get("size")
    if not isinstance(size, list) or len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
        raise ModelError(where, f"{name}.size: expected [height, width] in pixels")
    layout = spec.get("layout", "NHWC")
    if layout not in LAYOUTS:
        raise ModelError(where, f"{name}.layout: expected one of {', '.join(LAYOUTS)}")
    dtype = spec.get("dtype", "float32")
    if dtype not in DTYPES:
        raise ModelError(where, f"{name}.dtype: expected one of {', '.join(DTYPES)}")
    resize = spec.get("resize", "stretch")
    if resize not in RESIZE_MODES:
        raise ModelError(where, f"{name}.resize: expected one of {', '.join(RESIZE_MODES)}")
    channels = spec.get("channels", "RGB")
    if channels not in ("RGB", "BGR"):
        raise ModelError(where, f"{name}.channels: expected RGB or BGR")
    lo, hi = _numbers(spec.get("range", [0, 1]), 2, where, f"{name}.range")
    mean = spec.get("mean")
    std = spec.get("std")
    if (mean is None) != (std is None):
        raise ModelError(where, f"{name}.{'std' if std is None else 'mean'}: give mean and std")
    mean_t = _numbers(mean, 3, where, f"{name}.mean") if mean is not None else None
    std_t = _numbers(std, 3, where, f"{name}.std") if std is not None else None
    if std_t is not None and not all(s > 0 for s in std_t):
        raise ModelError(where, f"{name}.std: must be positive")
    return Preprocess(
        size=(size[0], size[1]),
        layout=layout,
        dtype=dtype,
        range=(lo, hi),
        mean=mean_t,  # type: ignore[arg-type]
        std=std_t,  # type: ignore[arg-type]
        resize=resize,
        channels=channels,
    )


def _keypoints(spec: Any, where: str, name: str, schemas: dict[str, Keypoints]) -> Keypoints:
    if not isinstance(spec, dict) or not isinstance(spec.get("schema"), str):
        raise ModelError(where, f"{name}.schema: missing")
    schema = spec["schema"]
    if "names" not in spec:
        if schema not in schemas:
            raise ModelError(where, f"{name}.names: missing, and no schema {schema!r} in {DEFAULTS_FILE}")
        return schemas[schema]
    names = tuple(_str_list(spec["names"], where, f"{name}.names"))
    if len(set(names)) != len(names):
        raise ModelError(where, f"{name}.names: duplicate keypoint name")
    edges: list[tuple[int, int]] = []
    for i, edge in enumerate(_list(spec.get("skeleton", []), where, f"{name}.skeleton")):
        if (
            not isinstance(edge, list)
            or len(edge) != 2
            or not all(isinstance(k, int) and 0 <= k < len(names) for k in edge)
        ):
            raise ModelError(where, f"{name}.skeleton[{i}]: expected a pair of indices below {len(names)}")
        edges.append((edge[0], edge[1]))
    return Keypoints(schema, names, tuple(edges))
