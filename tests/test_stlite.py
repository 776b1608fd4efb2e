"""The app in the browser: the docs site's stlite page is generated with the pinned @stlite/browser
and mounts app.py, every module of `catalog` it imports and the catalog; and the app
runs on what Pyodide has. Pyodide's module list comes from the pinned `pyodide` npm package (the
release stlite loads): its pyodide-lock.json and python_stdlib.zip, and the modules compiled into
pyodide.asm.wasm. Loading the page itself needs the internet (stlite fetches Pyodide and its
packages from Pyodide's CDN): that test runs only when the CDN answers, and says so when not."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from catalog.publish.stlite import (
    APP_DIR,
    LIB_DIR,
    PYODIDE_DIST,
    STLITE_DIST,
    app_sources,
    pyodide_lock,
    pyodide_packages_by_import,
    write_app_page,
)
from tests.test_app import FIXTURE, write_build

ROOT = Path(__file__).resolve().parent.parent
NEEDS_NPM = "needs `npm ci`: @stlite/browser and pyodide are pinned in package.json"
# what the app's code imports that Pyodide lacks, each with the fallback the pages take
FEATURE_DETECTED = {
    "plotly": "the Charts page shows the figures made when the site was built, drawn by the site's plotly.js",
}
CORE_MODULES = {"sys", "builtins", "marshal", "_imp", "_warnings", "_frozen_importlib", "_frozen_importlib_external"}

pytestmark = pytest.mark.skipif(
    not (STLITE_DIST / "stlite.js").is_file() or not (PYODIDE_DIST / "pyodide-lock.json").is_file(), reason=NEEDS_NPM
)


def pinned(name: str) -> tuple[str, str, str]:
    """(package.json's pin, package-lock.json's version, the installed version) of an npm package."""
    package = json.loads((ROOT / "package.json").read_text("utf-8"))
    pins = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    lock = json.loads((ROOT / "package-lock.json").read_text("utf-8"))["packages"][f"node_modules/{name}"]
    installed = json.loads((ROOT / "node_modules" / name / "package.json").read_text("utf-8"))["version"]
    return pins[name], lock["version"], installed


def stlite_default_pyodide() -> str:
    """The Pyodide URL stlite loads unless told otherwise (in its worker, inlined as base64)."""
    for script in sorted(STLITE_DIST.glob("*.js")):
        for encoded in re.findall(r"data:text/javascript;base64,([A-Za-z0-9+/=]+)", script.read_text("utf-8")):
            found = re.search(r"https://[^\"'`\s]+/pyodide\.m?js", base64.b64decode(encoded).decode("utf-8", "replace"))
            if found:
                return found.group(0)
    raise AssertionError("no default Pyodide URL in @stlite/browser's build")


def pyodide_modules() -> set[str]:
    """Top-level module names a Pyodide release can import: its packages' (pyodide-lock.json),
    its standard library (python_stdlib.zip) and the modules compiled into its interpreter."""
    packages = set(pyodide_packages_by_import(pyodide_lock()))
    with zipfile.ZipFile(PYODIDE_DIST / "python_stdlib.zip") as archive:
        stdlib = {Path(name).parts[0].removesuffix(".py") for name in archive.namelist()}
    compiled = set(re.findall(rb"PyInit_(\w+)", (PYODIDE_DIST / "pyodide.asm.wasm").read_bytes()))
    return packages | stdlib | {name.decode() for name in compiled} | CORE_MODULES


@pytest.fixture(scope="module")
def app_site(tmp_path_factory):
    """(page folder, build folder): the stlite page of the small catalog, in a site folder holding
    the catalog as the site build copies it."""
    document = json.loads(FIXTURE.read_text("utf-8"))
    build = write_build(tmp_path_factory.mktemp("stlite") / "build", document)
    site = build / "site"
    site.mkdir()
    shutil.copyfile(build / "catalog.json", site / "catalog.json")
    return write_app_page(build, site), build


def mount_options(page: Path) -> dict:
    script = re.search(r"const options = (\{.*?\});\n", (page / "index.html").read_text("utf-8"), re.S)
    return json.loads(script.group(1).replace("<\\/", "</"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the page


def test_stlite_and_pyodide_are_pinned_and_agree():
    stlite, stlite_lock, stlite_installed = pinned("@stlite/browser")
    assert stlite == stlite_lock == stlite_installed == "1.9.2"
    pyodide, pyodide_lock_version, pyodide_installed = pinned("pyodide")
    assert pyodide == pyodide_lock_version == pyodide_installed
    assert f"/pyodide/v{pyodide}/" in stlite_default_pyodide(), "pin the pyodide release @stlite/browser loads"
    assert "resolved" not in (ROOT / "package-lock.json").read_text("utf-8")


def test_the_page_carries_the_pinned_stlite_build(app_site):
    page, _ = app_site
    shipped = {p.relative_to(STLITE_DIST) for p in STLITE_DIST.rglob("*") if p.is_file()}
    expected = {p for p in shipped if not p.name.endswith((".map", ".d.ts"))}
    copied = {p.relative_to(page / LIB_DIR) for p in (page / LIB_DIR).rglob("*") if p.is_file()}
    assert copied == expected and "stlite.js" in {p.name for p in copied}
    assert all(sha256(page / LIB_DIR / p) == sha256(STLITE_DIST / p) for p in expected)
    html = (page / "index.html").read_text("utf-8")
    assert '<meta name="generator" content="@stlite/browser 1.9.2">' in html
    assert f'from "./{LIB_DIR}/stlite.js"' in html and f'href="{LIB_DIR}/stlite.css"' in html


def test_the_page_mounts_the_app_its_modules_and_the_catalog(app_site):
    page, _ = app_site
    options = mount_options(page)
    assert options["entrypoint"] == "app.py"
    files = options["files"]
    sources = {p.relative_to(ROOT).as_posix() for p in app_sources()}
    assert {"app.py", "catalog/__init__.py", "catalog/app/zoo_page.py", "catalog/publish/model_card/render.py"} <= (
        sources
    )
    assert sources | {"catalog/publish/templates/card.md.j2"} <= set(files)
    for target, source in files.items():
        assert (page / source["url"]).resolve().is_file(), target
        if target in sources:
            assert (page / source["url"]).read_bytes() == (ROOT / target).read_bytes()
    assert files["build/catalog.json"] == {"url": "../catalog.json"}
    assert "build/catalog.schema.json" not in files  # the app checks the catalog with its pydantic models
    index = json.loads((page / files["build/charts/index.json"]["url"]).read_text("utf-8"))
    assert [name for name, _ in index] == ["accuracy", "timeline", "performance-mflops", "performance-size", "devices"]
    assert "pyodideUrl" not in options  # stlite's default: Pyodide's CDN


def test_the_page_asks_pyodide_for_the_packages_the_app_imports(app_site):
    options = mount_options(app_site[0])
    packages = pyodide_lock()["packages"]
    assert {"numpy", "pandas", "pydantic", "jinja2"} <= set(options["requirements"])
    assert set(options["requirements"]) <= set(packages)


def test_a_self_hosted_pyodide_is_a_setting(app_site, tmp_path):
    _, build = app_site
    site = tmp_path / "site"
    site.mkdir()
    page = write_app_page(build, site, pyodide_url="https://example.org/pyodide/v0.29.3/full/pyodide.mjs")
    assert mount_options(page)["pyodideUrl"] == "https://example.org/pyodide/v0.29.3/full/pyodide.mjs"
    assert page == site / APP_DIR


# --------------------------------------------------------------------------- on Pyodide's modules


def test_every_module_the_app_imports_is_in_pyodide_or_detected(app_site, tmp_path):
    """Every page, on the browser's code paths, with every import Pyodide could not satisfy refused:
    no page fails, and what was refused is exactly what the app detects and does without."""
    page, build = app_site
    allowed = pyodide_modules() | {"streamlit", "catalog"}
    assert "numpy" in allowed and "fcntl" not in allowed and "plotly" not in allowed  # the list is Pyodide's
    (tmp_path / "allowed.json").write_text(json.dumps(sorted(allowed)), "utf-8")
    charts = page / "files" / "build" / "charts"
    shutil.copytree(charts, build / "charts", dirs_exist_ok=True)  # as the page mounts them
    env = {
        **os.environ,
        "POSEZOO_BUILD": str(build),
        "POSEZOO_APP_AS_IN_BROWSER": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    run = subprocess.run(
        [sys.executable, "-m", "tests.as_in_pyodide", str(tmp_path / "allowed.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    for name, page_result in result["pages"].items():
        assert page_result["exception"] == [], (name, page_result)
        expected = ["TestPose Broken did not build"] if name == "failed model" else []
        said = [error[:29] for error in page_result["errors"]]
        assert said == expected, (name, page_result)
    assert set(result["refused"]) == set(FEATURE_DETECTED), result["refused"]
    assert result["pages"]["charts"] == {**result["pages"]["charts"], "iframes": 5, "plotly_charts": 0}
    assert result["pages"]["try"]["iframes"] == 1
    assert result["pages"]["model"]["link_buttons"] == [
        "../models/movenet-lightning/movenet-lightning.onnx",
        "../models/movenet-lightning/movenet-lightning.int8.onnx",
    ]
    by_import = pyodide_packages_by_import(pyodide_lock())
    wanted = {by_import[name] for name in result["imported"] if name in by_import} - {"streamlit"}
    assert wanted <= set(mount_options(page)["requirements"])


# --------------------------------------------------------------------------- in Chromium


def reachable(url: str) -> bool:
    address = urlparse(url)
    try:
        with socket.create_connection((address.hostname, address.port or 443), timeout=3):
            return True
    except OSError:
        return False


def test_the_page_boots_a_self_hosted_pyodide_and_mounts_every_file(app_site, playwright_driver, tmp_path):
    """Offline, as far as it goes: Pyodide's core from the pinned npm package, served by the site
    itself through the `pyodide_url` setting, boots in Chromium; every mounted file is fetched from
    the site and written into Pyodide's file system; then the page stops at the first package the
    core release lacks (micropip): Pyodide's packages are on its CDN only (the next test)."""
    from tests.test_site_browser import CHROMIUM, CHROMIUM_ARGS, _serve

    if CHROMIUM is None:
        pytest.skip("no chromium on PATH or at /usr/bin/chromium")
    _, build = app_site
    site = tmp_path / "site"
    site.mkdir()
    shutil.copyfile(build / "catalog.json", site / "catalog.json")
    shutil.copytree(PYODIDE_DIST, site / "pyodide", ignore=shutil.ignore_patterns("node_modules", "*.map"))
    page_dir = write_app_page(build, site, pyodide_url="../pyodide/pyodide.mjs")
    mounted = set(mount_options(page_dir)["files"])
    server, base = _serve(site)
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page()
        logs: list[str] = []
        requests: list[str] = []
        page.on("console", lambda message: logs.append(message.text))
        page.context.on("request", lambda request: requests.append(request.url))
        page.goto(f"{base}{APP_DIR}/", wait_until="load")
        for _ in range(1200):
            if any("Failed to load micropip" in line for line in logs):
                break
            page.wait_for_timeout(100)
        writes = [line for line in logs if line.startswith("Write a file")]
        written = {line.split('"')[1].removeprefix("/home/pyodide/") for line in writes}
        assert "Loaded Pyodide" in logs
        assert written == mounted
        assert "Loading micropip" in logs and "Failed to load micropip" in logs, logs[-5:]
        assert all(url.startswith((base, "blob:", "data:")) for url in requests), requests
    finally:
        browser.close()
        server.shutdown()


def test_the_page_runs_the_app_in_chromium(app_site, playwright_driver):
    from tests.test_site_browser import CHROMIUM, CHROMIUM_ARGS, _serve

    pyodide = stlite_default_pyodide()
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH or at /usr/bin/chromium")
    if not reachable(pyodide):
        pytest.skip(f"needs the internet: stlite loads Pyodide and its packages from {pyodide}, which did not answer")
    page_dir, _ = app_site
    server, base = _serve(page_dir.parent)
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}{APP_DIR}/", wait_until="load")
        page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible", timeout=300_000)
        assert page.get_by_text("7 of 7 variants").is_visible()
    finally:
        browser.close()
        server.shutdown()


def test_the_apps_links_into_the_site_land_on_its_files():
    """In the browser the app links to the site around it: its Try-it page, its plotly.js, its model
    files. The page sits one folder down, at stlite/."""
    from catalog.app import charts_page, environment, try_page
    from catalog.publish import site

    assert environment.SITE_FROM_BROWSER_APP == "../" * len(Path(APP_DIR).parts)
    assert charts_page.PLOTLY_JS == site.PLOTLY_JS
    assert try_page.TRY_PAGE == f"{site.TRY_DIR}/index.html"


def test_the_docs_site_carries_the_app_page(app_site, tmp_path):
    """`posezoo site` writes the page, and the docs' page about the app links to it."""
    from catalog.publish.site import build_site

    _, build = app_site
    site = build_site(shutil.copytree(build, tmp_path / "build", ignore=shutil.ignore_patterns("site")), notebook=False)
    options = mount_options(site / APP_DIR)
    assert all((site / APP_DIR / source["url"]).resolve().is_file() for source in options["files"].values())
    assert 'href="../stlite/"' in (site / "app" / "index.html").read_text("utf-8")
