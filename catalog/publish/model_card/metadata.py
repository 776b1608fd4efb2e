"""A card's YAML front matter, the Hub's metadata: its license, library, pipeline and tags."""

from __future__ import annotations

import re

from catalog.cards.facts import License
from catalog.formats import INT8_FORMAT
from catalog.publish.model_card.inputs import CardInputs
from catalog.publish.model_card.markdown import Md, url

PIPELINE_TAG = "keypoint-detection"
# the Hub's library is the ONNX form: every variant has one, checked against its original, and
# it is the file the card's snippets run (onnxruntime in Python and in the browser)
LIBRARY_NAME = "onnx"
# licenses the Hub knows by id, as their SPDX identifiers lowercased; anything else is `other`
HUB_LICENSES = frozenset(
    "apache-2.0 mit bsd-2-clause bsd-3-clause bsd-3-clause-clear bsl-1.0 cc0-1.0 cc-by-2.0 cc-by-2.5"
    " cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0"
    " cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0"
    " afl-3.0 artistic-2.0 ecl-2.0 epl-1.0 epl-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gpl-2.0 gpl-3.0"
    " lgpl-2.1 lgpl-3.0 isc mpl-2.0 odbl osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib wtfpl"
    " cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 pddl".split()
)


def hub_license(license_record: License) -> dict[str, str]:
    """The Hub's license fields for an SPDX license: its id, or `other` with a name and a link."""
    spdx = license_record.spdx
    # the Hub's GNU ids are SPDX's "-only" ones without the suffix
    if spdx.lower().removesuffix("-only") in HUB_LICENSES:
        return {"license": spdx.lower().removesuffix("-only")}
    fields = {"license": "other", "license_name": re.sub(r"[^a-z0-9.]+", "-", spdx.lower()).strip("-") or "unknown"}
    if url(license_record.url):
        fields["license_link"] = license_record.url
    return fields


def front_matter(card: CardInputs) -> Md:
    """The YAML metadata, as huggingface_hub writes it."""
    from huggingface_hub import ModelCardData

    int8 = ["int8"] if INT8_FORMAT in card.formats else []
    tags = ["pose-estimation", card.variant.keypoints.schema, *card.formats, *int8, card.variant.family]
    tags.append("posezoo")
    data = ModelCardData(
        **hub_license(card.variant.license),
        library_name=LIBRARY_NAME,
        pipeline_tag=PIPELINE_TAG,
        tags=list(dict.fromkeys(tags)),
    )
    return Md(data.to_yaml())
