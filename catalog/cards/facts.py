"""The model card schema: what a card's YAML front matter may say, and the facts it resolves to.

Two layers, as a card is written and as it is used:
- `CardSpec` (with `VariantSpec`, `PreprocessSpec`, `KeypointsSpec`, `DefaultsSpec`) is the
  front matter as written: every key typed, unknown keys forbidden, family-level fields that a
  variant may override left open.
- `FamilyFacts` and `VariantFacts` (with `Preprocess`, `Keypoints`, `License`, ...) are the
  resolved facts: defaults merged, every variant complete. They are also the `families` and
  `variants` records of catalog.json (see `catalog.schema`).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from catalog.cards.decode_kinds import DecodeKind
from catalog.cards.licenses import CommercialUse, commercial_use, obligations, terms_of
from catalog.fetch.addresses import parse_source


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently drop a fact."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _date_text(value: Any) -> Any:
    # YAML reads 2020-06-17 as a date and 2020 as a number; a card may give YYYY-MM too
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _date_checked(value: str) -> str:
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise ValueError("expected YYYY-MM-DD (or YYYY-MM, YYYY)")
    try:
        dt.date.fromisoformat(value if len(value) == 10 else f"{value}-01-01"[:10])
    except ValueError:
        raise ValueError(f"{value} is not a date on the calendar") from None
    return value


def _source_checked(value: str) -> str:
    parse_source(value)  # its ValueError says which form is expected
    return value


def _optional_source(value: str | None) -> str | None:
    return None if value is None else _source_checked(value)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
DateText = Annotated[str, BeforeValidator(_date_text), AfterValidator(_date_checked)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
GitBlob = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")]  # git's SHA-1 of "blob <size>\0<bytes>"
OneLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"^[^\n\r]*$")]
Number = StrictFloat  # ints are taken as floats; booleans are not numbers
Positive = Annotated[StrictFloat, Field(gt=0)]
Pixels = Annotated[StrictInt, Field(gt=0)]
Layout = Literal["NHWC", "NCHW"]
InputDtype = Literal["float32", "float16", "int32", "uint8", "int8"]
ResizeMode = Literal["stretch", "letterbox"]
Role = Literal["model", "detector"]
PaperKind = Literal["paper", "blog-post", "model-card"]
# why a card's variant is listed and never built: no weights to be had in a form the build reads, no
# license granted for them, or a license that forbids passing them on
UnavailableReason = Literal["no-weights", "no-license", "forbids-redistribution"]
# the same in catalog.json, where a buildable variant whose file could not be fetched is `unreachable`
ListedReason = Literal["no-weights", "no-license", "forbids-redistribution", "unreachable"]


# --------------------------------------------------------------------------- resolved facts


class Reference(Strict):
    # what the link is, in words
    title: Text
    # where it is
    url: Url


class Paper(Strict):
    """What the family is published as; `kind` says honestly when it is not a paper."""

    # its title, as published
    title: Text
    # where to read it
    url: Url
    # paper | blog-post | model-card
    kind: PaperKind = "paper"


class LicenseSpec(Strict):
    """The license of the weights, as a card writes it."""

    # the SPDX identifier (Apache-2.0, MIT, ...)
    spdx: Text
    # the license text
    url: Url
    # where the license is stated and anything a user must know about it
    note: str = ""


class License(LicenseSpec):
    """The license with what it binds a user to (catalog.cards.licenses), derived from its SPDX id."""

    # allowed (notices only) | with conditions (copyleft, use clauses) | not allowed (non-commercial) | unknown
    commercial_use: CommercialUse
    # what the license asks of whoever ships the model, one line each
    obligations: list[str]

    @classmethod
    def of(cls, spec: LicenseSpec) -> License:
        terms = terms_of(spec.spdx)
        return cls(**spec.model_dump(), commercial_use=commercial_use(terms), obligations=obligations(terms, spec.spdx))


class OutOfScope(Strict):
    """The uses the model's authors rule out, as their own model card words them: advice from the
    authors, not a term of the license."""

    # each use, as the authors write it; empty when their model card states none
    uses: list[Text] = []
    # the authors' document that says so
    source: Reference


class HighRiskUses(Strict):
    """Uses a deployer should weigh before shipping any pose model: guidance, not a term of any license."""

    # where the list comes from
    source: Reference
    # each use, as the source words it
    uses: list[Text]


with warnings.catch_warnings():
    # the card and catalog.json call it `schema`; BaseModel's deprecated .schema() is not used here
    warnings.filterwarnings("ignore", message='Field name "schema"', category=UserWarning)

    class Keypoints(Strict):
        # the schema's name (coco-17, mpii-16, blazepose-33, ...)
        schema: Text
        # keypoint names, in the order the model outputs them
        names: tuple[Text, ...]
        # edges to draw: pairs of indices into `names`
        skeleton: tuple[tuple[StrictInt, StrictInt], ...] = ()

        def index(self, name: str) -> int:
            return self.names.index(name)

        @field_validator("names")
        @classmethod
        def _unique(cls, names: tuple[str, ...]) -> tuple[str, ...]:
            if len(set(names)) != len(names):
                raise ValueError("duplicate keypoint name")
            return names

        @field_validator("skeleton")
        @classmethod
        def _inside(cls, edges: tuple[tuple[int, int], ...], info: ValidationInfo) -> tuple[tuple[int, int], ...]:
            count = len(info.data.get("names", ()))
            for i, edge in enumerate(edges):
                if not all(0 <= k < count for k in edge):
                    raise ValueError(f"edge {i} {list(edge)}: expected indices below {count}")
            return edges

    class KeypointsSpec(Strict):
        # a schema from _defaults.yaml by name, or a new one with its names
        schema: Text
        # keypoint names; omitted when `schema` names a shared schema
        names: tuple[Text, ...] | None = None
        # edges to draw: pairs of indices into `names`
        skeleton: tuple[tuple[StrictInt, StrictInt], ...] = ()


class Accuracy(Strict):
    # the metric's name (PCKh@50, AP, ...)
    metric: Text
    # what it was measured on (MPII val, COCO val2017, ...)
    dataset: Text
    # the figure, as published
    value: Number


class PublishedFigures(Strict):
    """What the authors publish for a variant, as they publish it: never recomputed, shown beside ours."""

    # where they publish it
    source: Reference
    # (height, width) of the input the figures are for
    resolution: tuple[Pixels, Pixels] | None = None
    # millions of parameters
    params_m: Positive | None = None
    # billions of FLOPs, by the authors' own count
    gflops: Positive | None = None
    # accuracy figures
    accuracy: list[Accuracy] = []


class Preprocess(Strict):
    """How an RGB image becomes the model's input tensor.

    Pixels (0..255) are mapped linearly onto `range`, then `(x - mean) / std` per channel
    when given. `size` is (height, width), used where the file leaves the input dynamic.
    """

    # (height, width) in pixels of the model's input
    size: tuple[Pixels, Pixels]
    # NHWC or NCHW
    layout: Layout = "NHWC"
    # the input tensor's dtype
    dtype: InputDtype = "float32"
    # the values pixel 0 and pixel 255 map to
    range: tuple[Number, Number] = (0.0, 1.0)
    # per-channel mean subtracted after the range mapping (with std)
    mean: tuple[Number, Number, Number] | None = None
    # per-channel divisor after the mean (with mean); positive
    std: tuple[Positive, Positive, Positive] | None = None
    # stretch the image to the input, or letterbox it (keep aspect, pad the rest)
    resize: ResizeMode = "stretch"
    # channel order the model expects
    channels: Literal["RGB", "BGR"] = "RGB"
    # the pixel value (0..255, every channel) outside the image: a letterbox's bars
    pad: Annotated[float, Field(ge=0, le=255)] = 0.0

    @field_validator("std")
    @classmethod
    def _with_mean(cls, std: tuple[float, ...] | None, info: ValidationInfo) -> tuple[float, ...] | None:
        if (std is None) != (info.data.get("mean") is None):
            raise ValueError("give mean and std together")
        return std


class PreprocessSpec(Strict):
    """`Preprocess` as a card writes it: a family gives some keys, a variant overrides some."""

    # (height, width) in pixels of the model's input
    size: tuple[Pixels, Pixels] | None = None
    # NHWC or NCHW
    layout: Layout | None = None
    # the input tensor's dtype
    dtype: InputDtype | None = None
    # the values pixel 0 and pixel 255 map to
    range: tuple[Number, Number] | None = None
    # per-channel mean subtracted after the range mapping (with std)
    mean: tuple[Number, Number, Number] | None = None
    # per-channel divisor after the mean (with mean)
    std: tuple[Number, Number, Number] | None = None
    # stretch or letterbox
    resize: ResizeMode | None = None
    # RGB or BGR
    channels: Literal["RGB", "BGR"] | None = None
    # the pixel value (0..255) outside the image
    pad: Annotated[float, Field(ge=0, le=255)] | None = None


class VariantFacts(Strict):
    """One model file of a family, every fact resolved (variant fields over family fields)."""

    # unique across the zoo; lowercase, digits, '.', '_', '-'
    id: Id
    # the variant's name within its family (Lite, Thunder, ...)
    name: Text
    # where the file comes from, as written on the card (npm:PKG@VERSION#path, file:path, https://...)
    source: str
    # sha256 of the model file; null for file: sources and where the card pins git_blob instead
    sha256: Sha256 | None
    # git's blob id of the model file (as `git ls-tree` lists it), the pin of a file in a git tree; else null
    git_blob: GitBlob | None = None
    # model, or the detector a two-stage model runs first
    role: Role
    # what it does, in words
    task: Text
    # how an image becomes its input
    preprocess: Preprocess
    # which decoder reads its outputs (catalog.cards.decode_kinds)
    decode: DecodeKind
    # the keypoints it outputs
    keypoints: Keypoints
    # when it was released: YYYY-MM-DD, YYYY-MM or YYYY
    release_date: DateText
    # id of the variant whose crop this model expects (BlazePose's landmarks)
    detector: Id | None = None
    # anything else worth knowing about this file
    notes: str = ""
    # the authors' own figures for this model, with their source
    published: PublishedFigures | None = None
    # id of its family
    family: Id


class Unavailable(Strict):
    """Why a variant a card lists is never built: it stays in the zoo with its authors' figures."""

    # no-weights | no-license | forbids-redistribution
    reason: UnavailableReason
    # why, in one line, with the facts behind it
    note: OneLine


class ListedFacts(Strict):
    """A variant the zoo lists without building it, and why: the card says it cannot be built
    (`unavailable`), or its file could not be fetched (`unreachable`)."""

    # unique across the zoo, like a built variant's
    id: Id
    # the variant's name within its family
    name: Text
    # id of its family
    family: Id
    # what it does, in words
    task: Text
    # when it was released: YYYY-MM-DD, YYYY-MM or YYYY
    release_date: DateText
    # no-weights | no-license | forbids-redistribution | unreachable (a fetch that failed)
    reason: ListedReason
    # why, in one line
    note: OneLine
    # where its weights are published (for reference, never fetched), or the pinned source that could not
    # be fetched; null where the card names none
    source: str | None = None
    # the authors' own figures for this model, with their source
    published: PublishedFigures | None = None
    # anything else worth knowing about it
    notes: str = ""


class FamilyFacts(Strict):
    """A model family: the facts its card states once for all its variants."""

    # lowercase id of the family (the card's `family`)
    id: Id
    # display name
    name: Text
    # what its models do, in words
    task: Text
    # who made it
    authors: list[Text]
    # what it is published as; None where nothing is
    paper: Paper | None
    # first release: YYYY-MM-DD, YYYY-MM or YYYY
    release_date: DateText
    # the license of the weights, with what it binds a user to
    license: License
    # the uses the authors' own model card rules out, cited; null when the card records none
    out_of_scope: OutOfScope | None
    # what the models cannot do well (distance, occlusion, people count), one line each
    limitations: list[Text]
    # further reading
    references: list[Reference]
    # the card's file name
    card: str
    # the card's Markdown prose
    body: str = ""


# --------------------------------------------------------------------------- as written


class VariantSpec(Strict):
    # unique across the zoo; lowercase, digits, '.', '_', '-'
    id: Id
    # the variant's name within its family
    name: Text
    # why it is never built, where it is not: then it needs no pin, and `source` (optional) is only
    # where its weights are published, for reference
    unavailable: Unavailable | None = None
    # npm:PACKAGE@VERSION#path, file:path (relative to the card) or https://host/path; required unless unavailable
    source: Annotated[str | None, AfterValidator(_optional_source)] = Field(None, validate_default=True)
    # git's blob id of the model file (`git ls-tree` lists it): the pin of a file in a git tree, instead of sha256
    git_blob: GitBlob | None = None
    # sha256 of the model file; required except for file: sources, or where git_blob pins it
    sha256: Sha256 | None = Field(None, validate_default=True)
    # model (default) or detector
    role: Role = "model"
    # overrides the family's task
    task: Text | None = None
    # overrides some of the family's preprocess keys
    preprocess: PreprocessSpec | None = None
    # overrides the family's decoder
    decode: DecodeKind | None = None
    # overrides the family's keypoints
    keypoints: KeypointsSpec | None = None
    # overrides the family's release date
    release_date: DateText | None = None
    # id of the detector variant (same card) whose crop this model expects
    detector: Id | None = None
    # anything else worth knowing about this file
    notes: str = ""
    # the authors' own figures for this model, with their source
    published: PublishedFigures | None = None

    @field_validator("source")
    @classmethod
    def _required_unless_unavailable(cls, source: str | None, info: ValidationInfo) -> str | None:
        if "unavailable" not in info.data:  # its own problem is reported
            return source
        unavailable = info.data["unavailable"]
        if source is None and unavailable is None:
            raise ValueError("missing (or say why the variant is `unavailable`)")
        if source is not None and unavailable is not None and parse_source(source).kind != "https":
            raise ValueError("an unavailable variant's source is only where its weights are published: an https URL")
        return source

    @field_validator("sha256")
    @classmethod
    def _pinned(cls, sha256: str | None, info: ValidationInfo) -> str | None:
        data = info.data
        if not {"unavailable", "source", "git_blob"} <= data.keys():  # their own problems are reported
            return sha256
        git_blob = data["git_blob"]
        if data["unavailable"] is not None:
            if sha256 is not None or git_blob is not None:
                raise ValueError("an unavailable variant is never fetched: it takes no sha256 or git_blob")
            return sha256
        if sha256 is not None and git_blob is not None:
            raise ValueError("give sha256 or git_blob, not both")
        source = data["source"]
        if sha256 is None and git_blob is None and source is not None:
            kind = parse_source(source).kind
            if kind != "file":
                raise ValueError(f"required for {kind} sources (or git_blob, the file's git blob id)")
        return sha256


class CardSpec(Strict):
    """A card's front matter, as written."""

    # lowercase id of the family
    family: Id
    # display name
    name: Text
    # what its models do, in words (a variant may override)
    task: Text
    # keypoints of every variant (a variant may override)
    keypoints: KeypointsSpec | None = None
    # preprocess keys shared by every variant (a variant may add or override keys)
    preprocess: PreprocessSpec | None = None
    # decoder of every variant (a variant may override)
    decode: DecodeKind | None = None
    # who made it
    authors: list[Text]
    # what it is published as
    paper: Paper | None = None
    # first release: YYYY-MM-DD, YYYY-MM or YYYY
    release_date: DateText
    # the license of the weights
    license: LicenseSpec
    # the uses the authors' own model card rules out, with that card (an empty list where it states none)
    out_of_scope: OutOfScope | None = None
    # what the models cannot do well (distance, occlusion, people count), one line each
    limitations: list[Text] = []
    # further reading
    references: list[Reference] = []
    # the model files
    variants: Annotated[list[VariantSpec], Field(min_length=1)]


class DefaultsSpec(Strict):
    """`_defaults.yaml`: what cards in its folder share."""

    # high-risk uses every card's pages list as guidance (not a license term)
    high_risk_uses: HighRiskUses | None = None
    # keypoint schemas a card may name without repeating them
    keypoint_schemas: dict[str, KeypointsSpec] = {}
