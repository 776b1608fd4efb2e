"""Run a notebook against a built catalog and keep the executed copy, outputs and all: the docs
site renders that copy, and the tests run the same code to prove the notebook works."""

from __future__ import annotations

import os
from pathlib import Path

from catalog.atomic import write_text

KERNEL = "python3"  # the kernel of the Python running this: jupyter_client maps "python3" onto it
CELL_TIMEOUT_S = 600


def execute_notebook(src: Path, dst: Path, build_dir: Path) -> Path:
    """Execute `src` in a fresh kernel started in its folder, with $POSEZOO_BUILD naming
    `build_dir`, and write the executed notebook to `dst`, which is returned. A cell that raises
    stops the run with nbclient's CellExecutionError, and nothing is written."""
    import nbformat
    from nbclient import NotebookClient

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
    client.execute(env={**env, "POSEZOO_BUILD": str(Path(build_dir).resolve())})
    write_text(Path(dst), nbformat.writes(notebook))
    return Path(dst)
