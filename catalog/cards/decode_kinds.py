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
]
DECODE_KINDS: tuple[str, ...] = get_args(DecodeKind)
