"""Helpers every reader shares: naming dynamic dimensions, and the rule for a path named inside a folder."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from catalog.read.graph import Dim


def dynamic_dim_names(shape: tuple[Dim, ...] | None) -> tuple[Dim, ...] | None:
    """Name a graph input's unknown dims: N for the batch, H and W for an image's spatial dims."""
    if shape is None or all(isinstance(d, int | str) for d in shape):
        return shape
    names: list[str] = [f"d{i}" for i in range(len(shape))]
    if shape:
        names[0] = "N"
    if len(shape) == 4:
        channels_last = isinstance(shape[-1], int) and shape[-1] <= 4
        spatial = (1, 2) if channels_last or not isinstance(shape[1], int) else (2, 3)
        names[spatial[0]], names[spatial[1]] = "H", "W"
    return tuple(d if isinstance(d, int | str) else names[i] for i, d in enumerate(shape))


def inner_path(relative: str) -> str:
    """The one rule for a path named inside a folder (a manifest's weights file, a file in a
    package): relative, POSIX, and inside the folder once normalised (`a/../b` is `b`);
    ValueError otherwise. On disk, `file_inside` also follows symlinks."""
    if not isinstance(relative, str) or not relative or "\\" in relative or "\x00" in relative:
        raise ValueError(f"{relative!r} is not a relative path")
    pure = PurePosixPath(relative)
    if pure.is_absolute():
        raise ValueError(f"{relative!r} is not a relative path")
    parts: list[str] = []
    for part in pure.parts:
        if part == "..":
            if not parts:
                raise ValueError(f"{relative!r} leaves its folder")
            parts.pop()
        elif part != ".":
            parts.append(part)
    if not parts:
        raise ValueError(f"{relative!r} names the folder itself")
    return "/".join(parts)


def file_inside(folder: Path, relative: str) -> Path:
    """The file `relative` names in `folder`, by `inner_path`'s rule, that also resolves (symlinks
    followed) inside the folder; ValueError otherwise. It need not exist."""
    inner = inner_path(relative)
    try:
        real_folder = folder.resolve()
        inside = real_folder in (real_folder / inner).resolve().parents
    except (OSError, RuntimeError):  # a symlink loop, a name too long
        inside = False
    if not inside:
        raise ValueError(f"{relative!r} resolves outside its folder")
    return folder / inner
