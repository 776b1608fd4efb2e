"""What differs between the app served by `posezoo serve` and the same app in the browser
(stlite, on Pyodide): where the catalog is, what Python packages there are, where the Try-it
page and the model files are served from."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from catalog.paths import DEFAULT_OUT

# Pyodide, under stlite: Python runs in the visitor's browser (the tests take the browser's code
# paths under CPython with POSEZOO_APP_AS_IN_BROWSER=1)
IN_BROWSER = sys.platform == "emscripten" or os.environ.get("POSEZOO_APP_AS_IN_BROWSER") == "1"
BUILD_ENV = "POSEZOO_BUILD"  # the build folder the app shows; `posezoo serve --out` sets it
SITE_ENV = "POSEZOO_SITE_URL"  # where `posezoo serve` serves the docs site (for the full-speed Try-it page)
STATIC_URL = "/app/static/"  # Streamlit's static file serving (server.enableStaticServing)
STATIC_DIR = "static"  # beside the main script: what Streamlit serves at STATIC_URL
# relative to the stlite page (site/stlite/): the rest of the docs site
SITE_FROM_BROWSER_APP = "../"


def build_dir() -> Path:
    return Path(os.environ.get(BUILD_ENV) or DEFAULT_OUT)


def has_plotly() -> bool:
    """plotly draws the charts; Pyodide ships no plotly."""
    try:
        import plotly  # noqa: F401
    except ImportError:
        return False
    return True


def site_url() -> str | None:
    """The docs site's root URL: beside the stlite page in the browser, else where `posezoo serve`
    serves it (None when it serves no site)."""
    if IN_BROWSER:
        return SITE_FROM_BROWSER_APP
    url = os.environ.get(SITE_ENV, "").strip()
    return (url.rstrip("/") + "/") if url else None


def static_dir(main_script: Path) -> Path:
    return main_script.parent / STATIC_DIR


def static_serving(main_script: Path) -> bool:
    """Whether Streamlit serves the Try-it page's files: static serving is on and `posezoo serve`
    put them beside the main script."""
    if IN_BROWSER:
        return False
    import streamlit as st

    return bool(st.get_option("server.enableStaticServing")) and (static_dir(main_script) / "try/index.html").is_file()
