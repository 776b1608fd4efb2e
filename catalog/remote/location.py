"""Where the default catalog is: the catalog of this posezoo's release on the project's site."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from catalog import __version__
from catalog.paths import CATALOG_FILE

# the project's docs site, where the release workflow publishes each release's docs, catalog.json and
# model files in a folder of its own (mike); the workflow refuses to release where the site is elsewhere
PUBLISHED_SITE = "https://posezoo.github.io/posezoo/"
CATALOG_ENV = "POSEZOO_CATALOG"  # another default catalog: a URL, a catalog.json or a build folder


def release_catalog_url(version: str = __version__, site: str = PUBLISHED_SITE) -> str:
    """The catalog.json a release published: in its own folder of the site, beside its model files."""
    return f"{site.rstrip('/')}/{version}/{CATALOG_FILE}"


def default_catalog() -> str:
    """$POSEZOO_CATALOG, else this release's catalog on the project's site: the catalog whose schema
    this posezoo reads."""
    return os.environ.get(CATALOG_ENV) or release_catalog_url()


def is_url(where: str) -> bool:
    return urlsplit(where).scheme in ("http", "https")
