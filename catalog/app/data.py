"""The catalog the app shows: catalog.json read and checked once per version of the file, and
cached (`st.cache_data`), so that every rerun and every visitor after the first starts at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from catalog.errors import PosezooError
from catalog.paths import CATALOG_FILE
from catalog.publish.records import families_by_id, model_title, onnx_report, runnable, variants_by_id
from catalog.publish.table import frame_of
from catalog.schema import Catalog, FamilyRecord, VariantRecord, read_catalog


class CatalogProblem(Exception):
    """The catalog cannot be shown: what is wrong and what to do, in a sentence for the page."""


def catalog_at(path: Path) -> Catalog:
    """The catalog at `path`, checked: a CatalogProblem when it is missing, not JSON or not a catalog."""
    if not path.is_file():
        raise CatalogProblem(
            f"There is no catalog at {path}. Build it with `posezoo build`, "
            "or run `posezoo serve`, which builds it first."
        )
    try:
        return read_catalog(path)
    except PosezooError as error:
        raise CatalogProblem(f"{error.where}: {error.reason}.") from None


@st.cache_data(show_spinner=False, max_entries=4)
def _cached(path_text: str, version: tuple[int, int]) -> tuple[Catalog, pd.DataFrame]:
    catalog = catalog_at(Path(path_text))
    # `catalog.load()`'s rows without their attrs: pandas deep-copies attrs (the whole document) on every operation
    return catalog, pd.DataFrame(frame_of(catalog.model_dump(mode="json")), copy=False)


@dataclass(frozen=True)
class Zoo:
    """The catalog as the pages use it: its typed records, its rows (one per variant and format), and lookups."""

    path: Path
    catalog: Catalog
    rows: pd.DataFrame
    variants: dict[str, VariantRecord] = field(init=False)
    families: dict[str, FamilyRecord] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "variants", variants_by_id(self.catalog))
        object.__setattr__(self, "families", families_by_id(self.catalog))

    def title(self, variant_id: str) -> str:
        variant = self.variants.get(variant_id)
        return model_title(variant, self.families) if variant else variant_id

    def family(self, variant: VariantRecord) -> FamilyRecord | None:
        return self.families.get(variant.family)

    def runnable_ids(self) -> list[str]:
        """The variants the Try-it page can run: built models with an ONNX file."""
        return [v.id for v in self.catalog.variants if runnable(v)]

    def built_ids(self) -> list[str]:
        return [v.id for v in self.catalog.variants if v.status == "ok" and onnx_report(v) is not None]

    def frame(self) -> pd.DataFrame:
        """The rows with the catalog as JSON in `attrs`, as `catalog.load()` returns them (the charts take that)."""
        frame = self.rows.copy(deep=False)
        frame.attrs["catalog"] = self.catalog.model_dump(mode="json")
        return frame


def load_zoo(build_dir: Path) -> Zoo:
    """The catalog of `build_dir`, from the cache unless the file changed; a CatalogProblem when it cannot be shown."""
    path = build_dir / CATALOG_FILE
    try:
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = (0, 0)
    catalog, rows = _cached(str(path), version)
    return Zoo(path, catalog, rows)


def zoo_or_problem(build_dir: Path) -> tuple[Zoo | None, str | None]:
    """The catalog, or why it cannot be shown, in a sentence for the page (the traceback goes to the log)."""
    try:
        return load_zoo(build_dir), None
    except CatalogProblem as problem:
        return None, str(problem)
    except Exception as error:
        logging.getLogger("posezoo.app").exception("posezoo: the catalog could not be read")
        return None, f"The catalog in {build_dir} could not be read ({type(error).__name__}: {error})."
