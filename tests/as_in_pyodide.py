"""Runs every page of the app as the stlite page runs it, on CPython: the browser's code paths
(POSEZOO_APP_AS_IN_BROWSER=1), and every import made by app.py or a `catalog` module refused
unless Pyodide has the module (the names in ALLOWED, a JSON list). Prints, as JSON, what the app's
code imported, what was refused and by whom, and each page's errors.

    POSEZOO_BUILD=BUILD python -m tests.as_in_pyodide ALLOWED.json

tests/test_stlite.py runs it in a child process, so that nothing was imported before the guard.
"""

from __future__ import annotations

import builtins
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PACKAGE = ROOT / "catalog"
PAGES = {
    "zoo": {},
    "model": {"model": "movenet-lightning"},
    "failed model": {"model": "testpose-broken"},
    "compare": {"page": "compare", "models": "movenet-lightning,blazepose-lite"},
    "charts": {"page": "charts"},
    "try": {"page": "try", "model": "movenet-thunder"},
}


def ours(importer: dict | None) -> bool:
    path = Path(str((importer or {}).get("__file__") or ""))
    return path == APP or PACKAGE in path.parents


def guard(allowed: set[str], imported: set[str], refused: dict[str, set[str]]) -> None:
    real = builtins.__import__

    def guarded(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002 - __import__'s names
        if level == 0 and ours(globals):
            top = name.partition(".")[0]
            if top not in allowed:
                refused.setdefault(top, set()).add(globals.get("__name__", "?"))
                raise ModuleNotFoundError(f"No module named {top!r} (Pyodide has none)", name=top)
            imported.add(top)
        return real(name, globals, locals, fromlist, level)

    builtins.__import__ = guarded


def main() -> None:
    allowed = set(json.loads(Path(sys.argv[1]).read_text("utf-8")))
    imported: set[str] = set()
    refused: dict[str, set[str]] = {}
    from tests.apptest import AppTest

    guard(allowed, imported, refused)
    pages = {}
    for page, query in PAGES.items():
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params.update(query)
        at.run()
        pages[page] = {
            "exception": [e.message for e in at.exception],
            "errors": [e.value for e in at.error],
            "iframes": len(at.get("iframe")),
            "plotly_charts": len(at.get("plotly_chart")),
            "link_buttons": [b.proto.url for b in at.get("link_button")],
        }
    result = {"imported": sorted(imported), "refused": {k: sorted(v) for k, v in refused.items()}, "pages": pages}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
