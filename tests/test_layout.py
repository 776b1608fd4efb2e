"""The package's layout follows the flow, and imports only go down it (read from the source): the
rule the README's architecture section states, layer by layer."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "catalog"
ENTRY_POINTS = {"catalog", "catalog.cli"}  # the command and the package's lazy loaders sit above everything
VERSION = "catalog.__version__"  # the release's number: a constant of the package's root, read by every layer
# the Streamlit app sits above publish/: it shows what publish/ makes (app.py imports its pages)
APP = "catalog.app"
SERVER_MODULES = {"catalog.app.serve", "catalog.app.static"}  # `posezoo serve`'s, never imported by a page
# the import order, lowest first, as the README's architecture section lists it: a module imports
# from its own layer and the layers below, never from a layer above
LAYERS: list[tuple[str, ...]] = [
    (
        "catalog.errors",
        "catalog.paths",
        "catalog.digest",
        "catalog.atomic",
        "catalog.lock",
        "catalog.runtime",
        "catalog.formats",
        "catalog.extras",
    ),  # fmt: skip
    ("catalog.read",),
    ("catalog.fetch",),
    ("catalog.cards",),
    ("catalog.schema",),
    ("catalog.pose", "catalog.remote"),  # the pose API, and the published catalog its models come from
    ("catalog.measure",),
    ("catalog.convert",),
    (
        "catalog.build",
        "catalog.diff",
        "catalog.evaluate",
        "catalog.time_pipelines",
        "catalog.time_browser",
        "catalog.bench_device",
    ),
    ("catalog.publish",),
    ("catalog.app",),
    ("catalog.cli", "catalog"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every catalog module and the catalog modules it imports, at top level or inside functions."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[module_name(path)] = {n for n in names if n == "catalog" or n.startswith("catalog.")}
    return found


def test_the_folders_are_the_steps_of_the_flow():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == {"cards", "fetch", "convert", "read", "measure", "pose", "remote", "publish", "app"}


def layer(module: str) -> int:
    """The index in LAYERS of the most specific prefix of `module` (catalog.cli before catalog)."""
    matches = [
        (len(prefix), index)
        for index, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module} is in no layer: add it to LAYERS and to the README's architecture section"
    return max(matches)[1]


def test_every_module_imports_only_from_its_layer_and_those_below():
    offenders = [
        f"{module} (layer {layer(module)}) imports {name} (layer {layer(name)})"
        for module, names in imports().items()
        for name in names - {"catalog", VERSION}  # `from catalog import lock` names catalog.lock too
        if layer(name) > layer(module)
    ]
    assert offenders == []


def test_the_readme_lists_the_layers_in_their_import_order():
    readme = (PACKAGE.parent / "README.md").read_text("utf-8")
    section = readme[readme.index("[start:architecture]") : readme.index("[end:architecture]")]
    order = section[section.index("Import order") :]
    firsts = [f"`{prefixes[0].removeprefix('catalog.').replace('.', '/')}" for prefixes in LAYERS[1:-1]]
    places = [order.index(first) for first in firsts]
    assert places == sorted(places), firsts


def test_nothing_imports_the_orchestrator_or_the_publishers():
    offenders = [
        f"{module} imports {name}"
        for module, names in imports().items()
        if module not in ENTRY_POINTS and not module.startswith(("catalog.publish", APP))
        for name in names
        if name == "catalog.build" or name.startswith("catalog.publish")
    ]
    assert offenders == []


def test_only_the_command_imports_the_app_and_the_app_not_the_orchestrator():
    offenders = [
        f"{module} imports {name}"
        for module, names in imports().items()
        for name in names
        if (name.startswith(APP) and not module.startswith(APP) and module not in ENTRY_POINTS)
        or (module.startswith(APP) and name == "catalog.build")
    ]
    assert offenders == []


def test_the_apps_pages_import_no_step_that_needs_a_native_runtime():
    """The pages run in the browser too (stlite, on Pyodide): only the catalog's records, never the
    steps that fetch, convert, measure or run models."""
    steps = ("catalog.fetch", "catalog.convert", "catalog.measure", "catalog.pose", "catalog.read")
    offenders = [
        f"{module} imports {name}"
        for module, names in imports().items()
        if module.startswith(APP) and module not in SERVER_MODULES
        for name in names
        if name.startswith(steps) or name in SERVER_MODULES
    ]
    assert offenders == []


def test_the_readers_know_nothing_of_the_figures():
    offenders = [
        f"{module} imports {name}"
        for module, names in imports().items()
        if module.startswith("catalog.read")
        for name in names
        if name.startswith("catalog.measure")
    ]
    assert offenders == []


def test_the_latency_module_and_the_peer_benchmarks_do_not_share_a_name():
    assert not (PACKAGE / "bench.py").exists() and (PACKAGE.parent / "bench").is_dir()


def test_the_catalogs_schema_imports_where_there_are_no_file_locks_nor_processes():
    """The app's pages read the catalog's typed records on Pyodide, which has no fcntl and cannot
    start a process: the schema (and the card schema under it) reaches neither."""
    import subprocess
    import sys

    absent = "import sys; sys.modules.update(fcntl=None, subprocess=None, multiprocessing=None)"
    result = subprocess.run(
        [sys.executable, "-c", f"{absent}; import catalog.schema; import catalog.cards.facts"],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
    )
    assert result.returncode == 0, result.stderr
