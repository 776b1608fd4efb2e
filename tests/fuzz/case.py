"""One fuzz case: the files of a mutated model, and how to lay them out on disk.

A case's folder holds the model's files; an `outside/` folder beside it holds files the model must
not reach (weights named by `../` or absolute paths, symlink targets). `@OUTSIDE@` in a file's
bytes stands for that folder's absolute path, filled in when the case is written, since the
path is only known then.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

OUTSIDE_TOKEN = b"@OUTSIDE@"
MODEL_FOLDER = "model"
OUTSIDE_FOLDER = "outside"


@dataclass
class Case:
    seed: int  # the run's seed
    index: int  # the case's index in the run; (seed, index) makes the case again
    format: str
    mutator: str
    entry: str  # the file inspect is given, inside the model folder
    files: dict[str, bytes]
    outside: dict[str, bytes] = field(default_factory=dict)
    symlinks: dict[str, str] = field(default_factory=dict)  # model-folder name -> outside name
    must_refuse: bool = False  # reading it at all would reach outside the model's folder

    @property
    def label(self) -> str:
        return f"{self.format}#{self.index} {self.mutator}"

    def size(self) -> int:
        return sum(len(data) for data in (*self.files.values(), *self.outside.values()))


def write_case(case: Case, root: Path) -> Path:
    """Lay the case out under `root` (emptied first); returns the path to inspect."""
    if root.exists():
        shutil.rmtree(root)
    model, outside = root / MODEL_FOLDER, root / OUTSIDE_FOLDER
    model.mkdir(parents=True)
    outside.mkdir()
    token = str(outside.resolve()).encode()
    for name, data in case.outside.items():
        _write(outside / name, data)
    for name, data in case.files.items():
        _write(model / name, data.replace(OUTSIDE_TOKEN, token))
    for name, target in case.symlinks.items():
        link = model / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            link.unlink()
        os.symlink(outside.resolve() / target, link)
    return model / case.entry


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@dataclass
class Mutation:
    """What a mutator made of a seed: the files, and in words what it changed."""

    detail: str
    files: dict[str, bytes]
    outside: dict[str, bytes] = field(default_factory=dict)
    symlinks: dict[str, str] = field(default_factory=dict)
    must_refuse: bool = False
