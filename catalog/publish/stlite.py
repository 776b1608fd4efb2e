"""The docs site's app page (site/stlite/): the Streamlit app, app.py, running fully in the
visitor's browser with stlite (`@stlite/browser`, pinned in package.json) on Pyodide.

    site/stlite/index.html  mounts the app: stlite's `mount()` with the files below
    site/stlite/lib/        @stlite/browser's build, as npm installed it (source maps left out)
    site/stlite/files/      app.py and every module of `catalog` it imports, read from the
                            project; build/charts/ (the Charts page's
                            figures, made by the chart functions now: Pyodide ships no plotly)

The app reads build/catalog.json, mounted from the site's own copy (../catalog.json). stlite loads
Pyodide from its CDN unless `pyodide_url` points at a Pyodide distribution elsewhere (the whole
release, with its packages: the npm package holds the core alone). The page asks Pyodide for the
packages the app's modules import (numpy, pandas, pydantic...), found in Pyodide's package list.
"""

from __future__ import annotations

import ast
import html
import json
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from catalog.atomic import write_text
from catalog.paths import CATALOG_FILE, ROOT

APP_DIR = "stlite"  # site/stlite/
LIB_DIR = "lib"  # site/stlite/lib/: @stlite/browser
STLITE_DIST = ROOT / "node_modules" / "@stlite" / "browser" / "build"
PYODIDE_DIST = ROOT / "node_modules" / "pyodide"  # the release stlite loads: its package list
APP_ENTRY = ROOT / "app.py"
PACKAGE_DATA = ("catalog/publish/templates/card.md.j2",)  # files the mounted modules read
CHARTS_DIR = "charts"  # beside catalog.json in the page's files
CHARTS_INDEX = "index.json"  # [[name, heading], ...] in the Charts page's order
BUILD_MOUNT = "build"  # where the app looks for catalog.json: catalog.paths.DEFAULT_OUT in the page


class StliteError(Exception):
    """The app page cannot be made (stlite or Pyodide's package list is not installed)."""


# --------------------------------------------------------------------------- what app.py imports


def _imports(tree: ast.AST) -> Iterable[tuple[ast.stmt, str]]:
    """Every absolute import of a module, with its statement; what `if TYPE_CHECKING:` holds is left out."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node, node.module
            yield from ((node, f"{node.module}.{alias.name}") for alias in node.names)


def imported_names(path: Path) -> set[str]:
    return {name for _, name in _imports(ast.parse(path.read_text("utf-8"), str(path)))}


def module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def app_sources(entry: Path = APP_ENTRY) -> list[Path]:
    """app.py and every module of `catalog` it imports, directly or not, at the top of a module or
    inside a function (a function's import runs when it is called), with their packages' __init__."""
    found: set[Path] = {entry}
    waiting = [entry]
    while waiting:
        for name in imported_names(waiting.pop()):
            if name.split(".")[0] != "catalog":
                continue
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                path = module_file(".".join(parts[:depth]))
                if path is not None and path not in found:
                    found.add(path)
                    waiting.append(path)
    return sorted(found)


def third_party_imports(sources: Iterable[Path]) -> dict[str, list[str]]:
    """Top-level names of what the sources import outside the project and Python's standard
    library, each with the files that import it."""
    found: dict[str, list[str]] = {}
    for path in sources:
        for name in sorted(imported_names(path)):
            top = name.split(".")[0]
            if top in ("catalog", "__future__") or top in sys.stdlib_module_names:
                continue
            where = str(path.relative_to(ROOT))
            if where not in found.setdefault(top, []):
                found[top].append(where)
    return found


# --------------------------------------------------------------------------- Pyodide's packages


def pyodide_lock() -> dict[str, Any]:
    path = PYODIDE_DIST / "pyodide-lock.json"
    if not path.is_file():
        raise StliteError(f"Pyodide's package list is not installed ({path}): run npm ci")
    return json.loads(path.read_text("utf-8"))


def pyodide_packages_by_import(lock: dict[str, Any]) -> dict[str, str]:
    """Import name -> the Pyodide package that provides it."""
    return {name: package for package, record in lock["packages"].items() for name in record.get("imports", [])}


def requirements(imports: Iterable[str], lock: dict[str, Any]) -> list[str]:
    """The Pyodide packages the page loads for these import names (names Pyodide lacks are the
    app's feature-detected extras: it runs without them)."""
    by_import = pyodide_packages_by_import(lock)
    return sorted({by_import[name] for name in imports if name in by_import} - {"streamlit"})


# --------------------------------------------------------------------------- the page


def stlite_version() -> str:
    package = STLITE_DIST.parent / "package.json"
    if not (STLITE_DIST / "stlite.js").is_file() or not package.is_file():
        raise StliteError(f"@stlite/browser is not installed ({STLITE_DIST}): run npm ci")
    return json.loads(package.read_text("utf-8"))["version"]


def copy_stlite(target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(STLITE_DIST, target, ignore=shutil.ignore_patterns("*.map", "*.d.ts"))


def chart_files(build_dir: Path, charts_dir: Path) -> list[str]:
    """The Charts page's figures as plotly JSON, made by the same functions as the site's and the
    app's; their names. None without plotly (the page then says where the charts are)."""
    try:
        from catalog.publish.charts import chart_figures
        from catalog.publish.table import load
    except ImportError:
        return []
    figures = chart_figures(load(build_dir / CATALOG_FILE))
    for name, _, figure in figures:
        write_text(charts_dir / f"{name}.json", figure.to_json())
    write_text(charts_dir / CHARTS_INDEX, json.dumps([[name, heading] for name, heading, _ in figures]))
    return [name for name, _, _ in figures]


def mount_options(files: dict[str, str], needs: list[str], pyodide_url: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "entrypoint": APP_ENTRY.name,
        "files": {target: {"url": url} for target, url in sorted(files.items())},
        "requirements": needs,
        "streamlitConfig": {"client.toolbarMode": "viewer", "client.showErrorDetails": "none"},
    }
    if pyodide_url:
        options["pyodideUrl"] = pyodide_url
    return options


def index_html(options: dict[str, Any], version: str) -> str:
    # JSON in a script: "</" could close the element
    mount = json.dumps(options, indent=1).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<title>posezoo · the app in your browser</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{LIB_DIR}/stlite.css">
<meta name="generator" content="@stlite/browser {html.escape(version)}">
</head>
<body>
<div id="root"></div>
<noscript>The app runs Python in your browser with stlite: it needs JavaScript.</noscript>
<script type="module">
import {{ mount }} from "./{LIB_DIR}/stlite.js";
const options = {mount};
// stlite loads Pyodide in a worker made from a data: URL, where a relative URL means nothing
if (options.pyodideUrl) options.pyodideUrl = new URL(options.pyodideUrl, location.href).href;
mount(options, document.getElementById("root"));
</script>
</body>
</html>
"""


def write_app_page(build_dir: Path, site_dir: Path, *, pyodide_url: str | None = None) -> Path:
    """site/stlite/: the app on stlite, for the catalog copied to site/catalog.json. Returns the folder.
    A StliteError when @stlite/browser or Pyodide's package list is not installed (npm ci)."""
    version = stlite_version()
    lock = pyodide_lock()
    page = site_dir / APP_DIR
    shutil.rmtree(page, ignore_errors=True)
    copy_stlite(page / LIB_DIR)
    sources = app_sources()
    files: dict[str, str] = {}
    for path in [*sources, *(ROOT / name for name in PACKAGE_DATA)]:
        relative = path.relative_to(ROOT).as_posix()
        (page / "files" / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, page / "files" / relative)
        files[relative] = f"files/{relative}"
    mounted_build = f"files/{BUILD_MOUNT}"
    files[f"{BUILD_MOUNT}/{CATALOG_FILE}"] = f"../{CATALOG_FILE}"
    names = chart_files(build_dir, page / mounted_build / CHARTS_DIR)
    for name in [*names, CHARTS_INDEX.removesuffix(".json")] if names else []:
        files[f"{BUILD_MOUNT}/{CHARTS_DIR}/{name}.json"] = f"{mounted_build}/{CHARTS_DIR}/{name}.json"
    needs = requirements(third_party_imports(sources), lock)
    write_text(page / "index.html", index_html(mount_options(files, needs, pyodide_url), version))
    return page
