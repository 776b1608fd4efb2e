"""Building without the internet: a folder of model files stands in for `https:` sources,
each file used only if its sha256 is the one the card pins. No test here reaches the network:
every download fails at once, as it does on a machine with no route to the model's host."""

from __future__ import annotations

import hashlib
import urllib.error
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.cli import app
from catalog.errors import FetchError
from catalog.fetch.sources import fetch

URL = "https://127.0.0.1:9/daniegr/EfficientPose/models/tflite/EfficientPoseRT.tflite"
MODEL_BYTES = b"the bytes the card pins"
MODEL_SHA256 = hashlib.sha256(MODEL_BYTES).hexdigest()
HOW = "--mirror DIR or POSEZOO_MIRROR=DIR"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs a test tried to download; each attempt fails as an unknown host does."""
    tried: list[str] = []

    def unreachable(url: str, timeout: float) -> None:
        tried.append(url)
        raise urllib.error.URLError(OSError(-2, "Name or service not known"))

    monkeypatch.setattr("urllib.request.urlopen", unreachable)
    monkeypatch.delenv("POSEZOO_MIRROR", raising=False)
    return tried


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    folder = tmp_path / "mirror"
    folder.mkdir()
    return folder


def test_a_mirror_serves_a_pinned_https_file_without_the_network(
    tmp_path: Path, mirror: Path, no_network: list[str]
) -> None:
    (mirror / "EfficientPoseRT.tflite").write_bytes(MODEL_BYTES)
    fetched = fetch(URL, MODEL_SHA256, cache_dir=tmp_path / "cache", mirror=mirror)
    assert fetched.path == mirror / "EfficientPoseRT.tflite"
    assert fetched.sha256 == MODEL_SHA256 and fetched.pin == URL
    assert no_network == []  # a verified copy at hand: no download tried
    assert not (tmp_path / "cache").exists()


def test_a_same_named_file_with_another_sha256_is_never_used(tmp_path: Path, mirror: Path) -> None:
    (mirror / "EfficientPoseRT.tflite").write_bytes(b"a different model")
    with pytest.raises(FetchError) as caught:
        fetch(URL, MODEL_SHA256, cache_dir=tmp_path / "cache", mirror=mirror)
    assert caught.value.reason.startswith("cannot download EfficientPoseRT.tflite (network failure: ")
    assert f"no file in the mirror {mirror} has its sha256 ({MODEL_SHA256[:12]}...)" in caught.value.reason


def test_the_right_file_under_another_name_is_used(tmp_path: Path, mirror: Path) -> None:
    (mirror / "EfficientPoseRT.tflite").write_bytes(b"a different model")
    (mirror / "efficientpose-rt-copy.tflite").write_bytes(MODEL_BYTES)
    fetched = fetch(URL, MODEL_SHA256, cache_dir=tmp_path / "cache", mirror=mirror)
    assert fetched.path == mirror / "efficientpose-rt-copy.tflite"


def test_posezoo_mirror_in_the_environment_is_the_mirror(
    tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (mirror / "EfficientPoseRT.tflite").write_bytes(MODEL_BYTES)
    monkeypatch.setenv("POSEZOO_MIRROR", str(mirror))
    assert fetch(URL, MODEL_SHA256, cache_dir=tmp_path / "cache").path == mirror / "EfficientPoseRT.tflite"


def test_without_network_or_mirror_one_line_says_how_to_provide_the_file(tmp_path: Path) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(URL, MODEL_SHA256, cache_dir=tmp_path / "cache")
    assert caught.value.reason == (
        "cannot download EfficientPoseRT.tflite (network failure: Name or service not known): "
        f"put the file (sha256 {MODEL_SHA256[:12]}...) in a folder and build with {HOW}"
    )


def test_without_a_pinned_sha256_a_mirror_cannot_stand_in(tmp_path: Path, mirror: Path) -> None:
    (mirror / "EfficientPoseRT.tflite").write_bytes(MODEL_BYTES)
    with pytest.raises(FetchError) as caught:
        fetch(URL, None, cache_dir=tmp_path / "cache", mirror=mirror)
    assert "a mirror could stand in only with the card's sha256" in caught.value.reason


def _card_with_an_https_source(folder: Path) -> Path:
    """The README's own-model card, its file named by an https URL and pinned by sha256."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    card = readme.split("### Add your own model", 1)[1].split("```markdown\n", 1)[1].split("```", 1)[0]
    source = "source: file:models/mypose-small.tflite   # sha256: optional for file: sources"
    assert source in card
    folder.mkdir()
    (folder / "mypose.md").write_text(card.replace(source, f"source: {URL}\n    sha256: {MODEL_SHA256}"))
    return folder


def test_posezoo_build_without_network_or_mirror_fails_the_variant_in_one_line(tmp_path: Path) -> None:
    cards = _card_with_an_https_source(tmp_path / "my_zoo")
    # no accuracy pass: what is asked here is the fetch (the pass scores nothing, yet takes seconds)
    args = ["build", "--cards", str(cards), "--out", str(tmp_path / "out"), "--no-accuracy"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("posezoo: error:")]
    assert line.startswith("posezoo: error: mypose-small: fetch failed: cannot download EfficientPoseRT.tflite (")
    assert line.endswith(f"put the file (sha256 {MODEL_SHA256[:12]}...) in a folder and build with {HOW}")


def test_posezoo_build_fetches_from_the_mirror(tmp_path: Path, mirror: Path, no_network: list[str]) -> None:
    cards = _card_with_an_https_source(tmp_path / "my_zoo")
    (mirror / "EfficientPoseRT.tflite").write_bytes(MODEL_BYTES)  # the pinned bytes, though not a model
    args = ["build", "--cards", str(cards), "--out", str(tmp_path / "out"), "--mirror", str(mirror), "--no-accuracy"]
    result = CliRunner().invoke(app, args)
    assert no_network == []
    assert "fetch failed" not in result.stderr
    assert "posezoo: error: mypose-small: inspect failed: " in result.stderr  # fetched, then read


def test_posezoo_build_refuses_a_mirror_that_is_not_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-mirror"
    result = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "out"), "--mirror", str(missing)])
    assert result.exit_code == 2
    assert result.stderr == f"posezoo: error: {missing}: no such mirror folder (--mirror or POSEZOO_MIRROR)\n"
    assert not (tmp_path / "out").exists()  # refused before anything is built


def test_posezoo_mirror_in_the_environment_is_checked_too(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-mirror"
    result = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "out")], env={"POSEZOO_MIRROR": str(missing)})
    assert result.exit_code == 2
    assert "no such mirror folder (--mirror or POSEZOO_MIRROR)" in result.stderr
