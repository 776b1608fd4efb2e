"""The extras a task needs beyond the default install, read from the installed package's metadata
(pyproject.toml's optional dependencies): a task that lacks one says which, in one line."""

from __future__ import annotations

import functools
import importlib.metadata
from importlib.util import find_spec

from catalog.errors import PosezooError

# the import name of each distribution whose import name is not its own name, dashes made underscores
IMPORT_NAMES = {
    "tensorflow-cpu": "tensorflow",
    "mkdocs-material": "material",
    "scikit-image": "skimage",
    "opencv-python-headless": "cv2",
    "pillow": "PIL",
    "pyyaml": "yaml",
    "pytest-xdist": "xdist",
}


class MissingExtra(PosezooError):
    """A task that needs a module this install lacks; `where` is the task, `reason` the extra to install."""


@functools.cache  # the installed metadata, read once: modules_of recurses through the extras it names
def _requirements() -> tuple[tuple[str, str | None, str], ...]:
    """(distribution, the extra it is in or None, the extras it names itself) of every requirement of
    the installed posezoo; empty when posezoo runs from a checkout it was not installed from."""
    from packaging.requirements import Requirement  # a requirement of pooch, so of every install
    from packaging.utils import canonicalize_name

    try:
        metadata = importlib.metadata.metadata("posezoo")
    except importlib.metadata.PackageNotFoundError:
        return ()
    extras = metadata.get_all("Provides-Extra") or []
    found = []
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        marker = requirement.marker
        in_extra = marker is not None and "extra" in str(marker)
        extra = next((e for e in extras if marker.evaluate({"extra": e})), None) if in_extra else None
        found.append((canonicalize_name(requirement.name), extra, ",".join(sorted(requirement.extras))))
    return tuple(found)


def import_name(distribution: str) -> str:
    return IMPORT_NAMES.get(distribution, distribution.replace("-", "_"))


def modules_of(extra: str) -> list[str]:
    """The modules an extra brings, the extras it names included (`build` names `inspect` and `convert`)."""
    modules: list[str] = []
    for distribution, in_extra, named in _requirements():
        if in_extra != extra:
            continue
        if distribution == "posezoo":
            modules += [m for part in named.split(",") if part for m in modules_of(part.strip())]
        else:
            modules.append(import_name(distribution))
    return list(dict.fromkeys(modules))


def extra_of(module: str) -> str | None:
    """The extra whose requirements bring `module`, if one does."""
    for distribution, extra, _ in _requirements():
        if extra and distribution != "posezoo" and import_name(distribution) == module:
            return extra
    return None


def missing(task: str, module: str, extra: str | None) -> MissingExtra:
    hint = f"pip install 'posezoo[{extra}]'" if extra else f"pip install {module}"
    return MissingExtra(task, f"needs {module}, which this install lacks: {hint}")


def require(extra: str, task: str) -> None:
    """A MissingExtra naming `task` when a module `extra` brings cannot be imported."""
    for module in modules_of(extra):
        if find_spec(module) is None:
            raise missing(task, module, extra)
