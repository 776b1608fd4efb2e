"""A catalog and its model files wherever they are published: a URL, a catalog.json or a build folder.

    from catalog.remote import open_catalog
    opened = open_catalog()  # this release's catalog on the project's site ($POSEZOO_CATALOG: another)
    opened.onnx_file(opened.variant("movenet-lightning"))  # downloaded once, verified, then cached

By URL, the catalog is read afresh on every open (the cached copy stands in when the network is
down) and each model file is downloaded once into the cache (`$POSEZOO_CACHE/published/`), kept
under its sha256 only if its bytes have the sha256 the catalog gives, and found there offline.
The modules, one job each: `location` (the default catalog's address), `download` (verified
downloads into the cache), `opened` (a catalog opened from wherever it is).
"""

from catalog.remote.location import CATALOG_ENV, PUBLISHED_SITE, default_catalog, release_catalog_url
from catalog.remote.opened import OpenedCatalog, Where, open_catalog

__all__ = [
    "CATALOG_ENV",
    "PUBLISHED_SITE",
    "OpenedCatalog",
    "Where",
    "default_catalog",
    "open_catalog",
    "release_catalog_url",
]
