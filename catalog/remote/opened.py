"""A catalog opened from wherever it is, and its variants' model files as local paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import quote, urljoin

from catalog.errors import PosezooError
from catalog.paths import CATALOG_FILE
from catalog.remote.location import default_catalog, is_url

if TYPE_CHECKING:
    from catalog.pose.built import Precision

# where a catalog is: a URL (of catalog.json, or of the folder that holds it, ending in /), a catalog.json,
# a build folder, a catalog already opened, or None (the default)
Where = Union[str, Path, "OpenedCatalog", None]


@dataclass(frozen=True)
class OpenedCatalog:
    """A catalog document as read and checked, and where it came from."""

    # the catalog's URL, or its catalog.json on this machine
    where: str
    # the document, validated against this posezoo's schema
    document: dict[str, Any] = field(repr=False)
    # the cache folder for a URL's files (None: $POSEZOO_CACHE, else the user cache folder)
    cache_dir: Path | None = None

    @property
    def remote(self) -> bool:
        return is_url(self.where)

    def variant(self, variant_id: str) -> dict[str, Any]:
        """The record of a variant that built; a KeyError naming the ones that did otherwise."""
        from catalog.pose.built import variant_record

        return variant_record(self.document, variant_id)

    def onnx_file(self, record: dict[str, Any], precision: Precision = "float") -> Path:
        """A variant's ONNX file of this precision, on this machine (see `file`)."""
        from catalog.pose.built import onnx_form

        return self.file(onnx_form(record, precision))

    def file(self, form: dict[str, Any]) -> Path:
        """The file of a form's record (`path` relative to the catalog, `sha256`) on this machine:
        beside a local catalog; for a URL, from the cache, downloaded and verified there first."""
        relative = PurePosixPath(form["path"])
        if relative.is_absolute() or ".." in relative.parts:
            raise PosezooError(self.where, f"the file {form['path']!r} is not inside the catalog's folder")
        if not self.remote:
            return Path(self.where).parent / relative
        from catalog.remote.download import cached_file

        url = urljoin(self.where, quote(relative.as_posix()))
        return cached_file(url, form["sha256"], relative.name, self.cache_dir)


def open_catalog(where: Where = None, *, cache_dir: Path | None = None) -> OpenedCatalog:
    """The catalog at `where` (see `Where`), read and checked against this posezoo's schema: a
    PosezooError in one line when it cannot be read, is not a catalog or is of another schema version."""
    if isinstance(where, OpenedCatalog):
        return where
    from catalog.schema import check_document, read_document

    where = str(default_catalog() if where is None else where)
    if is_url(where):
        if where.endswith("/"):  # a release's folder of the site: its catalog.json is there
            where += CATALOG_FILE
        from catalog.remote.download import fresh_document

        return OpenedCatalog(where, fresh_document(where, check_document, cache_dir), cache_dir)
    path = Path(where).expanduser()
    if path.is_dir():
        path = path / CATALOG_FILE
    return OpenedCatalog(str(path), read_document(path), cache_dir)
