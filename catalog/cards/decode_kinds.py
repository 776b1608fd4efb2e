"""The decode kinds a card may name: each has exactly one decoder (checked at registration and by a test).

Kept apart from the decoders so that reading a card needs no numpy or scikit-image.
"""

from __future__ import annotations

from typing import Literal, get_args

DecodeKind = Literal[
    "movenet-singlepose",
    "movenet-multipose",
    "posenet",
    "efficientpose",
    "blazepose",
    "blazepose-detector",
    "openpose-paf",
    "yolo-pose",
]
DECODE_KINDS: tuple[str, ...] = get_args(DecodeKind)
# the kinds whose model finds every person in a whole frame by itself: each is used (and scored)
# on whole frames, and the pages draw each person it finds above the threshold
MULTI_PERSON_KINDS: frozenset[str] = frozenset({"movenet-multipose", "openpose-paf", "yolo-pose"})
