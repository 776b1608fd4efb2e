"""Streamlit's AppTest, with the installed packages scanned for components once per process.

Each new AppTest scans every installed distribution's metadata for Streamlit components: 0.45 s in
the dev install (some 180 distributions), nine times the app's own run. `streamlit run` scans once,
when it starts; nothing is installed between two tests, so the first scan's answer serves them all.
"""

from __future__ import annotations

import functools

from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest

__all__ = ["AppTest"]

_scanned = functools.cache(manifest_scanner.scan_component_manifests)


def _scan_once(max_workers: int | None = None) -> list:
    return list(_scanned())


# read by name at every AppTest run (streamlit.components.v2.component_manager imports it there)
manifest_scanner.scan_component_manifests = _scan_once
