"""Downloads into the cache, whole or not at all: a model file kept only under the sha256 the catalog
gives it, a catalog refreshed on every read and kept for when the network is down.

The cache (`$POSEZOO_CACHE`, else the user cache folder) holds them under `published/`:
`files/<sha256>/<name>`, so a file two releases share is downloaded once, and
`catalogs/<hash of the URL>/catalog.json`. pooch does the downloads (to a temporary file in the
target's folder, kept only when whole and of the right sha256); each failure is a `DownloadError`
in one line: the URL and why.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from catalog.atomic import replacing
from catalog.digest import sha256_file
from catalog.errors import FetchError
from catalog.fetch.sources import cache_root

PUBLISHED_DIR = "published"
TIMEOUT_S = 30  # a server silent this long is down


class DownloadError(FetchError):
    """A published file that could not be downloaded whole, or whose bytes are not the catalog's."""


def cached_file(url: str, sha256: str, name: str, cache_dir: Path | None = None) -> Path:
    """The file at `url` whose sha256 the catalog gives: from the cache when it is there with those
    bytes, else downloaded, verified and kept; nothing is kept of a download that fails."""
    import pooch

    folder = cache_root(cache_dir) / PUBLISHED_DIR / "files" / sha256
    target = folder / name
    if target.is_file() and sha256_file(target) == sha256:
        return target
    try:
        pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=name, path=folder, downloader=_downloader())
    except ValueError as error:
        got = re.search(r"but got (\w+)", str(error))
        found = f"its sha256 is {got.group(1)[:12]}…" if got else "its sha256 differs"
        raise DownloadError(url, f"{found}, the catalog's is {sha256[:12]}…: not kept") from None
    except Exception as error:  # requests' errors: pooch imports requests, posezoo never does
        raise DownloadError(url, _network_reason(error)) from None
    return target


def fresh_document(url: str, check: Callable[[Any, str], object], cache_dir: Path | None = None) -> dict[str, Any]:
    """The JSON document at `url`, downloaded afresh and passed through `check` before it replaces
    the cached copy; when the network is down, the cached copy, with a warning saying so."""
    target = cache_root(cache_dir) / PUBLISHED_DIR / "catalogs" / hashlib.sha256(url.encode()).hexdigest()[:16]
    target = target / Path(url.split("?")[0]).name
    try:
        with replacing(target) as part:
            _download(url, part)
            document = _json(part, url)
            check(document, url)
        return document
    except DownloadError as error:
        if not (_offline(error) and target.is_file()):
            raise
        when = datetime.fromtimestamp(target.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        warnings.warn(f"{url}: {error.reason}; using the copy cached on {when}", stacklevel=3)
        document = _json(target, url)
        check(document, url)
        return document


def _downloader():
    import pooch

    return pooch.HTTPDownloader(progressbar=False, timeout=TIMEOUT_S)


def _download(url: str, path: Path) -> None:
    try:
        _downloader()(url, str(path), None)
    except Exception as error:  # requests' errors, as in cached_file
        raise DownloadError(url, _network_reason(error)) from None


def _json(path: Path, url: str) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise DownloadError(url, f"not JSON ({str(error).splitlines()[0]})") from None


OFFLINE = "cannot connect"  # how a reason begins when the network, not the server, failed


def _offline(error: DownloadError) -> bool:
    return error.reason.startswith(OFFLINE)


def _network_reason(error: BaseException) -> str:
    """One line for a failed download: the HTTP status, a connection cut short, or no connection."""
    import requests

    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code} {error.response.reason}".rstrip()
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the connection was cut before the whole file came: nothing kept"
    if isinstance(error, requests.Timeout):
        return f"{OFFLINE}: no answer in {TIMEOUT_S} s"
    if isinstance(error, requests.ConnectionError):
        return f"{OFFLINE} ({_last_cause(error)})"
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(": ")


def _last_cause(error: BaseException) -> str:
    """The innermost reason of a connection error (urllib3 wraps the socket's in several layers)."""
    text = str(error)
    found = re.findall(r"\[Errno -?\d+\] [^'\")]+|Connection refused|Name or service not known", text)
    return found[-1].strip() if found else text.splitlines()[0][:160]
