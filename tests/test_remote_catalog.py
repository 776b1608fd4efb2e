"""A catalog by URL, as a user of `pip install posezoo` opens it: its model files downloaded once,
verified against the catalog's sha256, kept in the cache and found there offline; every failure
one line, with nothing half-written left in the cache. The site is a folder served on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import catalog
from catalog.errors import PosezooError
from catalog.remote import CATALOG_ENV, PUBLISHED_SITE, default_catalog, open_catalog, release_catalog_url
from catalog.remote.download import DownloadError
from catalog.schema import SCHEMA_VERSION
from tests.served import ServedFolder

FIXTURE = Path(__file__).parent / "fixtures" / "app" / "catalog.json"
MODEL = "blazepose-lite"  # a two-stage variant: its file and its detector's


def _publish(root: Path) -> dict:
    """The fixture catalog published into `root`: each ONNX form a small file of its own bytes, the
    catalog giving its sha256, as the site holds each release's files beside its catalog.json."""
    document = json.loads(FIXTURE.read_text("utf-8"))
    for variant in document["variants"]:
        for name, form in (variant.get("formats") or {}).items():
            if name.startswith("onnx"):
                data = f"{variant['id']} {name}\n".encode() * 500
                (root / form["path"]).parent.mkdir(parents=True, exist_ok=True)
                (root / form["path"]).write_bytes(data)
                form.update(sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    (root / "catalog.json").write_text(json.dumps(document), "utf-8")
    return document


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    _publish(root)
    served = ServedFolder(root)
    yield served
    served.stop()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("POSEZOO_CACHE", str(folder))
    return folder


def _model_path(site: ServedFolder, variant_id: str = MODEL) -> str:
    document = json.loads((site.root / "catalog.json").read_text("utf-8"))
    return next(v for v in document["variants"] if v["id"] == variant_id)["formats"]["onnx"]["path"]


def _kept(cache: Path) -> list[Path]:
    """Every file the cache holds under published/files/, temporary ones included."""
    return sorted(p for p in (cache / "published" / "files").rglob("*") if p.is_file())


def test_a_catalog_by_url_is_the_same_frame_as_its_file(site, cache):
    by_url = catalog.load(site.url("catalog.json"))
    by_file = catalog.load(site.root / "catalog.json")
    pd.testing.assert_frame_equal(by_url, by_file)
    assert by_url.attrs["catalog"] == by_file.attrs["catalog"]
    pd.testing.assert_frame_equal(catalog.load(site.root), by_file)  # the folder that holds it
    pd.testing.assert_frame_equal(catalog.load(site.url()), by_file)  # the site's folder, by URL
    assert catalog.load_records(site.url("catalog.json"))["schema"] == SCHEMA_VERSION


def test_a_model_is_downloaded_once_verified_then_found_offline(site, cache):
    opened = open_catalog(site.url("catalog.json"))
    record = opened.variant(MODEL)
    path = opened.onnx_file(record)
    assert path.read_bytes() == (site.root / _model_path(site)).read_bytes()
    assert path.parent == cache / "published" / "files" / record["formats"]["onnx"]["sha256"]
    detector = opened.onnx_file(opened.variant(record["detector"]))
    assert detector.is_file() and detector != path

    again = open_catalog(site.url("catalog.json"))
    assert again.onnx_file(again.variant(MODEL)) == path
    assert site.asked(_model_path(site)) == 1 and site.asked("catalog.json") == 2  # the catalog is read afresh

    site.stop()
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        offline = open_catalog(site.url("catalog.json"))
    assert len(said) == 1 and "cannot connect" in str(said[0].message)
    assert "using the copy cached on" in str(said[0].message)
    assert offline.onnx_file(offline.variant(MODEL)) == path
    assert _kept(cache) == sorted([path, detector])


def test_the_int8_form_is_a_file_of_its_own(site, cache):
    opened = open_catalog(site.url("catalog.json"))
    record = opened.variant(MODEL)
    assert opened.onnx_file(record, "int8").name.endswith(".int8.onnx")
    with pytest.raises(KeyError, match="has no int8 form"):
        opened.onnx_file(opened.variant("blazepose-detector"), "int8")


def test_a_file_whose_bytes_are_not_the_catalogs_is_not_kept(site, cache):
    (site.root / _model_path(site)).write_bytes(b"tampered")
    opened = open_catalog(site.url("catalog.json"))
    with pytest.raises(DownloadError) as raised:
        opened.onnx_file(opened.variant(MODEL))
    message = str(raised.value)
    assert "\n" not in message and message.startswith(site.url(_model_path(site)))
    expected = hashlib.sha256(b"tampered").hexdigest()[:12]
    assert f"its sha256 is {expected}" in message and message.endswith("not kept")
    assert _kept(cache) == []


def test_a_file_the_site_does_not_have_is_a_404_in_one_line(site, cache):
    (site.root / _model_path(site)).unlink()
    opened = open_catalog(site.url("catalog.json"))
    with pytest.raises(DownloadError, match=r"HTTP 404 File not found$") as raised:
        opened.onnx_file(opened.variant(MODEL))
    assert "\n" not in str(raised.value) and _kept(cache) == []
    with pytest.raises(DownloadError, match=r"nowhere/catalog.json: HTTP 404"):
        open_catalog(site.url("nowhere/catalog.json"))


def test_a_connection_cut_mid_file_keeps_nothing(site, cache):
    site.cut.add("/" + _model_path(site))
    opened = open_catalog(site.url("catalog.json"))
    with pytest.raises(DownloadError, match="the connection was cut before the whole file came") as raised:
        opened.onnx_file(opened.variant(MODEL))
    assert "\n" not in str(raised.value) and _kept(cache) == []

    site.cut.clear()  # the next try downloads it whole
    assert opened.onnx_file(opened.variant(MODEL)).read_bytes() == (site.root / _model_path(site)).read_bytes()


def test_a_catalog_of_another_schema_is_refused_and_the_cached_one_kept(site, cache):
    url = site.url("catalog.json")
    good = open_catalog(url).document
    other = {**good, "schema": SCHEMA_VERSION - 1, "builder": "0.0.9"}
    (site.root / "catalog.json").write_text(json.dumps(other), "utf-8")
    with pytest.raises(PosezooError) as raised:
        open_catalog(url)
    message = str(raised.value)
    assert "\n" not in message and message.startswith(url)
    assert f"a catalog of schema {SCHEMA_VERSION - 1}, written by posezoo 0.0.9" in message
    assert f"reads schema {SCHEMA_VERSION}: use the catalog of its release" in message

    site.stop()  # offline, the copy cached is the last good one
    with pytest.warns(UserWarning, match="cannot connect"):
        assert open_catalog(url).document == good


def test_a_url_that_cannot_be_reached_and_was_never_cached(site, cache):
    url = site.url("catalog.json")
    site.stop()
    with pytest.raises(DownloadError, match=r"^http://127\.0\.0\.1:\d+/catalog\.json: cannot connect") as raised:
        open_catalog(url)
    assert "\n" not in str(raised.value)


def test_a_file_outside_the_catalogs_folder_is_refused(site, cache):
    opened = open_catalog(site.url("catalog.json"))
    with pytest.raises(PosezooError, match="is not inside the catalog's folder"):
        opened.file({"path": "../../elsewhere.onnx", "sha256": "0" * 64})


def test_a_local_catalog_is_read_in_place(site, tmp_path):
    opened = open_catalog(site.root)
    assert opened.where == str(site.root / "catalog.json") and not opened.remote
    assert opened.onnx_file(opened.variant(MODEL)) == site.root / _model_path(site)
    with pytest.raises(PosezooError, match="cannot read the catalog") as raised:
        open_catalog(tmp_path / "nowhere")
    assert "\n" not in str(raised.value)


def test_the_default_catalog_is_this_release_on_the_site_unless_named(site, cache, monkeypatch):
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    assert default_catalog() == release_catalog_url() == f"{PUBLISHED_SITE}{catalog.__version__}/catalog.json"
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    assert release_catalog_url("<version>") in readme
    monkeypatch.setenv(CATALOG_ENV, site.url("catalog.json"))
    assert open_catalog().where == site.url("catalog.json")
    assert len(catalog.load()) == len(catalog.load(site.root))
