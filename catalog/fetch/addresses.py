"""A model's source as a card writes it (`npm:PACKAGE@VERSION#path`, `file:path`, `https://...`),
parsed and checked; no fetching. A leaf module: reading a card imports it, and so does the
catalog's schema, which must import under Pyodide (the app in the browser), where `sources.py`'s
file locks and subprocesses do not exist.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Literal

from catalog.read.common import inner_path

SourceKind = Literal["npm", "file", "https"]

PACKAGE_NAME = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
NPM_FORM = "npm:PACKAGE@VERSION#path/in/package"
SOURCE_FORMS = f"{NPM_FORM}, file:path or https://host/path"


@dataclass(frozen=True)
class Source:
    """A parsed source string; `text` is the pin as written on the card."""

    kind: SourceKind
    text: str
    path: str  # file inside the package, local file path, or the URL
    package: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        return self.text


def parse_source(text: str) -> Source:
    """Parse `npm:PACKAGE@VERSION#path`, `file:path` or `https://...`; ValueError if malformed."""
    text = text.strip()
    if not text:
        raise ValueError(f"empty source: expected {SOURCE_FORMS}")
    if text.startswith("npm:"):
        return _parse_npm(text)
    if text.startswith("file:"):
        path = text.removeprefix("file:")
        if not path:
            raise ValueError(f"file source {text!r} names no file: expected file:path")
        return Source("file", text, path)
    if text.startswith("https://"):
        return _parse_https(text)
    if text.startswith("http://"):
        raise ValueError(f"source {text!r} uses plain http: use https")
    raise ValueError(f"unknown kind of source {text!r}: expected {SOURCE_FORMS}")


def _parse_npm(text: str) -> Source:
    spec, hash_sign, inner = text.removeprefix("npm:").partition("#")
    if not hash_sign or not inner:
        raise ValueError(f"npm source {text!r} names no file: expected {NPM_FORM}")
    name, at, version = spec.rpartition("@")
    if not at or not name:  # "pkg" or "@scope/pkg" without a version
        raise ValueError(f"npm source {text!r} pins no version: expected {NPM_FORM}")
    if not PACKAGE_NAME.match(name):
        raise ValueError(f"npm source {text!r}: {name!r} is not an npm package name")
    if not EXACT_VERSION.match(version):
        raise ValueError(f"npm source {text!r}: {version!r} is not an exact version (ranges and tags are not pins)")
    return Source("npm", text, _inner_path(inner, text), package=name, version=version)


def _parse_https(text: str) -> Source:
    url = urllib.parse.urlsplit(text)
    if not url.netloc or not url.path.strip("/") or url.path.endswith("/"):
        raise ValueError(f"https source {text!r} names no file: expected https://host/path/file")
    return Source("https", text, text)


def _inner_path(path: str, source_text: str) -> str:
    """A relative POSIX path that stays inside its package/folder, normalised: the readers' rule."""
    try:
        return inner_path(path)
    except ValueError:
        raise ValueError(f"source {source_text!r}: path {path!r} must stay inside the package") from None
