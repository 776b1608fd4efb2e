"""Run a notebook against a built catalog and keep the executed copy, outputs and all: the docs
site renders that copy, and the tests run the same code to prove the notebook works."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from catalog.atomic import write_text
from catalog.paths import ROOT

KERNEL = "python3"  # the kernel of the Python running this: jupyter_client maps "python3" onto it
CELL_TIMEOUT_S = 600
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours an exception's name and value


class NotebookError(Exception):
    """The notebook did not run to its end: which notebook, which cell and why, in one line."""


def execute_notebook(src: Path, dst: Path, build_dir: Path) -> Path:
    """Execute `src` in a fresh kernel started in its folder, with $POSEZOO_BUILD naming
    `build_dir`, and write the executed notebook to `dst`, which is returned. A cell that raises,
    a cell that runs past CELL_TIMEOUT_S or a kernel that dies stops the run with a NotebookError,
    and nothing is written."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    src = Path(src)
    notebook = nbformat.read(src, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(src.resolve().parent)}},
    )
    # `import streamlit` sets MPLBACKEND=Agg in its process: a kernel started from there would
    # inherit it and draw no figure into the notebook, so the kernel picks its own backend
    env = {name: value for name, value in os.environ.items() if name != "MPLBACKEND"}
    try:
        client.execute(env={**env, "POSEZOO_BUILD": str(Path(build_dir).resolve())})
    except CellExecutionError as error:
        raise NotebookError(f"{shown(src)} failed in {failed_cell(notebook)}: {cause(error)}") from error
    except (CellTimeoutError, DeadKernelError) as error:
        raise NotebookError(f"{shown(src)} did not finish: {one_line(str(error))}") from error
    write_text(Path(dst), nbformat.writes(notebook))
    return Path(dst)


def shown(src: Path) -> str:
    """The notebook's path as a user finds it: from the repository's root when it is in there."""
    path = src.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(src)


def one_line(message: str) -> str:
    return " ".join(ANSI.sub("", message).split())


def cause(error: Any) -> str:
    """The exception a cell raised, "KeyError: 'movenet-lightning'"; the error's text where it
    names none."""
    name, value = getattr(error, "ename", None), getattr(error, "evalue", None)
    if name:
        return one_line(f"{name}: {value}" if value else name)
    return one_line(str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__)


def failed_cell(notebook: Any) -> str:
    """The code cell that holds an error output: "code cell 7 (id: run)"."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code, start=1):
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return f"code cell {number} (id: {cell.id})" if cell.get("id") else f"code cell {number}"
    return "a code cell"
