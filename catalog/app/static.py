"""The folder `posezoo serve` runs Streamlit in: BUILD/app/, holding app.py (a link to the
project's) and static/, which Streamlit serves at /app/static/ — the Try-it page's files as the
docs site lays them out (try/, pose/, try/ort/, catalog.json, models/<id>/<id>.onnx).

Files are hard-linked where the file system allows (a model is not copied on every start), and
kept when they are already the same file; whatever the catalog no longer names is removed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from catalog.app.environment import STATIC_DIR
from catalog.errors import PosezooError
from catalog.paths import CATALOG_FILE, ROOT
from catalog.publish.site import try_page_files
from catalog.schema import Catalog, read_catalog

APP_DIR = "app"  # in the build folder
APP_SCRIPT = ROOT / "app.py"


def same_file(source: Path, target: Path) -> bool:
    try:
        a, b = source.stat(), target.stat()
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) or (a.st_size, a.st_mtime_ns) == (b.st_size, b.st_mtime_ns)


def place(source: Path, target: Path) -> None:
    """`target` becomes `source`'s bytes: a hard link, else a copy (with its time, so the next start keeps it)."""
    if same_file(source, target):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def sync(files: dict[Path, Path], folder: Path) -> None:
    """`folder` holds exactly `files` ({relative path: source})."""
    present = {relative: source for relative, source in files.items() if source.is_file()}
    for relative, source in present.items():
        place(source, folder / relative)
    wanted = {folder / relative for relative in present}
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and path not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def link_script(target: Path) -> None:
    """BUILD/app/app.py: the project's app.py, linked so that Streamlit serves static/ beside it."""
    if target.is_symlink() and target.resolve() == APP_SCRIPT.resolve():
        return
    target.unlink(missing_ok=True)
    try:
        target.symlink_to(APP_SCRIPT)
    except OSError:
        shutil.copy2(APP_SCRIPT, target)


def readable_catalog(catalog_path: Path) -> Catalog | None:
    """The catalog's records; None when it cannot be read or is not a catalog (the app says why)."""
    try:
        return read_catalog(catalog_path)
    except PosezooError:
        return None


def served_files(build_dir: Path) -> dict[Path, Path]:
    """The Try-it page's files for this catalog; without its models where the catalog is not one."""
    return try_page_files(build_dir, readable_catalog(build_dir / CATALOG_FILE))


def stage(build_dir: Path) -> Path:
    """Prepares BUILD/app/ for the catalog in `build_dir`; returns the script to run. A SiteError
    when onnxruntime-web is not installed. The catalog is not checked here: the app checks it, and
    says on its page what is wrong."""
    app_dir = build_dir / APP_DIR
    sync(served_files(build_dir), app_dir / STATIC_DIR)
    script = app_dir / APP_SCRIPT.name
    link_script(script)
    return script
