"""Each release's docs site kept beside the others by mike, in a local git repository standing in for
the project's checkout: two releases deployed as the release workflow does, the branch's tree,
versions.json and the `latest` alias, an older release's catalog read by URL from the served branch,
and the version switcher in headless Chromium."""

from __future__ import annotations

import contextlib
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import catalog
from catalog.cli import app
from catalog.publish.versions import VersionsError, deploy_version
from tests.served import ServedFolder
from tests.test_site_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Visit, _stage

pytestmark = pytest.mark.slow


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def repo(built_zoo, tmp_path_factory) -> Path:
    """A project checkout with one commit on main, where 0.1.0 then 0.2.0 were released: 0.1.0 as the
    release workflow does it, `posezoo release-docs 0.1.0 --out build` in the checkout (the build folder
    ignored), then 0.2.0's deploy of the same site."""
    result, document = built_zoo
    repo = tmp_path_factory.mktemp("repo")
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "config", "user.name", "posezoo release")
    git(repo, "config", "user.email", "release@posezoo.invalid")
    (repo / "README.md").write_text("posezoo\n", "utf-8")
    (repo / ".gitignore").write_text("build/\n", "utf-8")
    git(repo, "add", "README.md", ".gitignore")
    git(repo, "commit", "--quiet", "-m", "the project")
    _stage(result.catalog_path.parent, document, repo / "build")
    with contextlib.chdir(repo):  # a relative --out, read from the checkout, not from posezoo's own folder
        released = CliRunner().invoke(app, ["release-docs", "0.1.0", "--out", "build", "--no-notebook"])
    assert released.exit_code == 0, released.output
    assert released.output.splitlines()[-1].startswith("0.1.0 (latest) committed to gh-pages at ")
    deploy_version(repo / "build" / "site", "0.2.0", ["latest"], repo=repo)
    return repo


@pytest.fixture(scope="module")
def versioned_site(repo, built_zoo) -> tuple[Path, dict]:
    """The test zoo's site as a release's folder: with the version switcher (no notebook page)."""
    return repo / "build" / "site", built_zoo[1]


@pytest.fixture(scope="module")
def pages(repo, tmp_path_factory):
    """The gh-pages branch's tree, served as Pages serves it."""
    root = tmp_path_factory.mktemp("pages")
    archive = root / "pages.tar"
    git(repo, "archive", "--output", str(archive), "gh-pages")
    with tarfile.open(archive) as tar:
        tar.extractall(root / "site", filter="data")
    served = ServedFolder(root / "site")
    yield served
    served.stop()


def test_each_release_has_its_folder_and_latest_moves_to_the_newest(repo, versioned_site):
    _, document = versioned_site
    files = set(git(repo, "ls-tree", "-r", "--name-only", "gh-pages").split())
    lite = next(v for v in document["variants"] if v["id"] == "blazepose-lite")["formats"]["onnx"]["path"]
    for version in ("0.1.0", "0.2.0"):
        for path in ("index.html", "catalog.json", lite, "zoo/index.html", "try/index.html"):
            assert f"{version}/{path}" in files
    assert {"versions.json", "index.html", ".nojekyll", "latest/index.html"} <= files
    # the alias is redirects to the release's pages: the model files are stored once per release
    assert "latest/catalog.json" not in files and f"latest/{lite}" not in files
    versions = json.loads(git(repo, "show", "gh-pages:versions.json"))
    assert versions == [
        {"version": "0.2.0", "title": "0.2.0", "aliases": ["latest"]},
        {"version": "0.1.0", "title": "0.1.0", "aliases": []},
    ]
    assert 'href="latest/"' in git(repo, "show", "gh-pages:index.html")
    assert "0.2.0/" in git(repo, "show", "gh-pages:latest/index.html")
    # the release's checkout is left as it was: mike commits to gh-pages only
    assert git(repo, "log", "--format=%s", "main").strip() == "the project"
    assert git(repo, "status", "--porcelain").strip() == ""


def test_an_older_releases_catalog_is_read_by_url_as_it_was(pages, versioned_site, tmp_path, monkeypatch):
    _, document = versioned_site
    monkeypatch.setenv("POSEZOO_CACHE", str(tmp_path / "cache"))
    frame = catalog.load(pages.url("0.1.0/catalog.json"))
    assert frame.attrs["catalog"] == document
    from catalog.pose import PoseEstimator

    estimator = PoseEstimator.from_catalog("movenet-multipose", catalog=pages.url("0.1.0/catalog.json"))
    assert estimator.variant.id == "movenet-multipose"


def test_a_version_that_cannot_be_deployed_is_one_line(versioned_site, tmp_path):
    (tmp_path / "not-a-repo").mkdir()
    with pytest.raises(VersionsError) as raised:
        deploy_version(versioned_site[0], "0.3.0", ["latest"], repo=tmp_path / "not-a-repo")
    assert "\n" not in str(raised.value) and str(raised.value).startswith("mike could not deploy 0.3.0 to gh-pages")


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH or at /usr/bin/chromium")
@pytest.mark.parametrize("width", [1440, 390])
def test_the_version_switcher_lists_every_release(playwright_driver, pages, width):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        visit = Visit(browser, pages.url(), width)
        page = visit.open("latest/zoo/")
        assert page.url == pages.url("0.2.0/zoo/")  # the alias redirects to the newest release
        page.wait_for_selector(".md-version__current")
        # the theme shows the alias after the version it names
        assert page.inner_text(".md-version__current").strip() == "0.2.0latest"
        listed = [link.inner_text().strip() for link in page.query_selector_all(".md-version__link")]
        assert listed == ["0.2.0latest", "0.1.0"]
        page.hover(".md-version__current", force=True)  # the list it opens covers it
        page.wait_for_function("getComputedStyle(document.querySelector('.md-version__list')).opacity === '1'")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"versions-{width}.png"))
        page.click(".md-version__link >> text=0.1.0", force=True)
        page.wait_for_url("**/0.1.0/**")
        assert "/0.1.0/" in page.url
        assert visit.foreign() == [] and visit.errors == []
    finally:
        browser.close()
