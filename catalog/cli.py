"""The `posezoo` command: inspect model files, build the catalog."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from catalog.errors import CardError, InternalError, PosezooError
from catalog.extras import require as require_extra
from catalog.measure.inspection import ModelReport, inspect
from catalog.measure.isolated import DEFAULT_MEMORY_MIB, DEFAULT_TIMEOUT_S, can_isolate, inspect_isolated
from catalog.measure.latency import DEFAULT_RUNS

QUANTIZATION_FORMATS = {"qdq": "QDQ", "qoperator": "QOperator", "mixed": "QDQ and QOperator"}

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's start-up chatter hides progress

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="posezoo: the open catalog of on-device human-pose models.",
)


@app.callback()
def posezoo() -> None:
    """posezoo: the open catalog of on-device human-pose models."""


@functools.cache
def out():  # -> rich.console.Console; rich is imported only when something is drawn
    from rich.console import Console

    return Console()


@functools.cache
def err():  # -> rich.console.Console
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail_line(path: str, reason: str) -> None:
    """One line on stderr naming the file and the cause — never a traceback."""
    err().print(f"posezoo: error: {path}: {reason}", markup=False)


def parse_input_shapes(values: list[str]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for value in values:
        name, sep, dims = value.rpartition("=")
        try:
            shape = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            shape = ()
        if not sep or not name or not shape or min(shape) < 1:
            raise typer.BadParameter(f"{value!r}: expected NAME=1x256x256x3", param_hint="--input-shape")
        shapes[name] = shape
    return shapes


def _shape_text(shape: list) -> str:
    return " x ".join("?" if d is None else str(d) for d in shape) if shape else "scalar"


def _count(value: int) -> str:
    return f"{value / 1e9:.3f} G" if value >= 1e9 else f"{value / 1e6:.2f} M"


def render(report: ModelReport) -> None:
    from rich.table import Table

    split = ", ".join(f"{k} {v:.0%}" for k, v in report.precision_split.items())
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("file", report.path)
    summary.add_row("format", report.format)
    summary.add_row("size", f"{report.size_mib:.2f} MiB ({report.size_bytes:,} bytes)")
    summary.add_row("sha256", report.sha256)
    precision = report.precision + (f" ({split})" if split else "")
    if report.quantization:
        precision += f", {report.quantization} quantization"
        if report.quantization_format:
            precision += f" ({QUANTIZATION_FORMATS[report.quantization_format]})"
    summary.add_row("precision", precision)
    sparse = f" ({_count(report.sparse_params)} stored sparse)" if report.sparse_params else ""
    summary.add_row("params", f"{_count(report.params)} ({report.params:,}){sparse}")
    reference = ""
    if report.reference_shapes:
        sizes = "; ".join(
            f"{name} = {_shape_text(shape)} ({report.reference_source[name]})"
            for name, shape in report.reference_shapes.items()
        )
        reference = f"  at {sizes}"
    summary.add_row("MACs", f"{_count(report.macs)} ({report.macs:,}){reference}")
    summary.add_row("FLOPs", f"{_count(report.flops)} ({report.flops:,})")
    out().print(summary)

    io = Table(title="inputs and outputs", title_justify="left")
    for column in ("", "name", "shape", "dtype"):
        io.add_column(column)
    for role, tensors in (("in", report.inputs), ("out", report.outputs)):
        for tensor in tensors:
            io.add_row(role, tensor.name, _shape_text(tensor.shape), tensor.dtype)
    out().print(io)

    ops = Table(title="ops", title_justify="left")
    for column in ("op", "count", "MACs", "FLOPs", "share"):
        ops.add_column(column, justify="left" if column == "op" else "right")
    for row in report.ops:
        share = row["flops"] / report.flops if report.flops else 0
        ops.add_row(row["op"], str(row["count"]), f"{row['macs']:,}", f"{row['flops']:,}", f"{share:.1%}")
    out().print(ops)
    if report.unresolved_ops:
        out().print(f"[yellow]{len(report.unresolved_ops)} ops with unresolved shapes count no FLOPs[/]")
    for note in report.notes:
        out().print(f"note: {note}", style="yellow", markup=False, highlight=False)
    out().print()


@app.command("inspect")
def inspect_command(
    files: Annotated[list[Path], typer.Argument(help="Model files: .onnx, .tflite, or a TFJS model.json")],
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON: an object for one file, a list for several, each printed when read")
    ] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One compact JSON object per line, per file")] = False,
    input_shape: Annotated[
        list[str] | None,
        typer.Option("--input-shape", help="Size a dynamic input for the figures: NAME=1x256x256x3"),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds one file may take; past it, one error line and on to the next", min=0.1)
    ] = DEFAULT_TIMEOUT_S,
    max_memory: Annotated[
        int, typer.Option(help="MiB of memory one file may take to read", min=64)
    ] = DEFAULT_MEMORY_MIB,
) -> None:
    """Read model files and print their shapes, precision, size, params, MACs and FLOPs."""
    require_extra("inspect", "posezoo inspect")
    shapes = parse_input_shapes(input_shape or [])
    printer = _ReportPrinter("jsonl" if as_jsonl else "json" if as_json else "table", several=len(files) > 1)
    failed = False
    for file in files:
        try:
            if can_isolate():
                report = inspect_isolated(file, shapes, timeout_s=timeout, memory_mib=max_memory)
            else:
                report = inspect(file, shapes)
        except InternalError as error:
            fail_line(str(file), f"{error.reason} ({error.hint})")
            failed = True
            continue
        except PosezooError as error:
            fail_line(str(file), error.reason)
            failed = True
            continue
        printer.print(report)
    printer.close()
    if failed:
        raise typer.Exit(2)


class _ReportPrinter:
    """Each report printed as soon as it is read: a table, a JSON object (a list for several
    files, opened with the first and closed at the end), or one JSON line."""

    def __init__(self, style: str, several: bool) -> None:
        self.style, self.several, self.count = style, several, 0

    def print(self, report: ModelReport) -> None:
        if self.style == "table":
            render(report)
        elif self.style == "jsonl":
            sys.stdout.write(json.dumps(report.to_dict()) + "\n")
        else:
            text = json.dumps(report.to_dict(), indent=2)
            if self.several:
                text = ("[\n" if self.count == 0 else ",\n") + text
            sys.stdout.write(text + ("" if self.several else "\n"))
        self.count += 1
        sys.stdout.flush()

    def close(self) -> None:
        if self.style == "json" and self.several:
            sys.stdout.write("\n]\n" if self.count else "[]\n")


@app.command("build")
def build_command(
    cards: Annotated[Path | None, typer.Option(help="Folder of model cards (default: the project's cards/)")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder for catalog.json and the models (default: the project's build/)")
    ] = None,
    cache: Annotated[Path | None, typer.Option(help="Fetch cache (default: the user cache dir)")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first failure")] = False,
    measure: Annotated[bool, typer.Option(help="Measure latency and peak memory")] = True,
    browser: Annotated[
        bool,
        typer.Option(
            help="Time every form on its browser runtime (onnxruntime-web, LiteRT.js, TFJS) in headless Chromium "
            "and choose each model's fastest; about 10 minutes for the default zoo on 2 cores, then only what changed"
        ),
    ] = True,
    runs: Annotated[int, typer.Option(help="Timed runs per model and runtime", min=1)] = DEFAULT_RUNS,
    accuracy: Annotated[
        bool, typer.Option(help="Score every form on the evaluation set (eval/; its images are fetched once)")
    ] = True,
    only: Annotated[list[str] | None, typer.Option(help="Build only these variant ids")] = None,
    wait: Annotated[
        bool, typer.Option(help="When another build is writing the same folder, wait for it (or exit at once)")
    ] = True,
    mirror: Annotated[
        Path | None,
        typer.Option(
            envvar="POSEZOO_MIRROR",
            help="Folder of model files standing in for https sources, each used if its sha256 is the card's",
        ),
    ] = None,
    devices: Annotated[
        Path | None, typer.Option(help="Folder of device rows, devices/*.json (default: the project's devices/)")
    ] = None,
) -> None:
    """Fetch, convert, check, inspect and measure every model the cards name into catalog.json."""
    require_extra("build", "posezoo build")
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from catalog.build import BuildOptions, build
    from catalog.paths import DEFAULT_CARDS, DEFAULT_DEVICES, DEFAULT_OUT

    options = BuildOptions(
        cards=cards or DEFAULT_CARDS,
        out=out or DEFAULT_OUT,
        cache=cache,
        strict=strict,
        measure=measure,
        browser=browser,
        accuracy=accuracy,
        runs=runs,
        only=only or [],
        wait=wait,
        mirror=mirror,
        devices=devices or DEFAULT_DEVICES,
    )
    if not options.cards.is_dir():
        fail_line(str(options.cards), "no such folder of model cards")
        raise typer.Exit(2)
    if mirror is not None and not mirror.is_dir():
        fail_line(str(mirror), "no such mirror folder (--mirror or POSEZOO_MIRROR)")
        raise typer.Exit(2)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err(), transient=True) as bar:
        task = bar.add_task("reading the cards")

        def progress(variant: str, step: str) -> None:
            if step in ("done", "failed", "unchanged"):
                mark = {"done": "[green]built[/]", "failed": "[red]failed[/]", "unchanged": "[dim]unchanged[/]"}[step]
                bar.console.print(f"{mark} {variant}")
            else:
                bar.update(task, description=f"{variant}: {step}")

        try:
            result = build(options, progress, on_wait=lambda message: bar.console.print(message))
        except CardError as error:  # the shared _defaults.yaml: every card depends on it
            for reason in error.reasons:
                fail_line(error.where, reason)
            raise typer.Exit(2) from None
        except PosezooError as error:
            fail_line(error.where, error.reason)
            raise typer.Exit(2) from None
    for failure in result.failures:
        fail_line(failure.variant, failure.what)
    for unreachable in result.unreachable:  # listed on the pages with the reason; built where upstream answers
        err().print(f"[yellow]not reachable[/] {escape(unreachable.variant)}: {escape(unreachable.reason)}")
    for variant in result.variants:  # the float forms published; the int8 form's absence is said, not a failure
        int8 = variant.get("int8") or {}
        if variant.get("status") == "ok" and int8.get("reason"):
            err().print(f"[dim]no int8 form[/] {escape(variant['id'])}: {escape(int8['reason'])}")
    for warning in result.warnings:
        err().print(f"[yellow]not scored[/] {escape(warning)}")
    built = sum(1 for v in result.variants if v.get("status") == "ok")
    err().print(
        f"{built} of {len(result.variants)} variants in {result.catalog_path} "
        f"({len(result.reused)} unchanged) in {result.seconds:.1f} s"
    )
    if result.failures:
        raise typer.Exit(1)


@app.command("diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="The earlier catalog.json")],
    new: Annotated[Path, typer.Argument(help="The later catalog.json")],
    ignore_converted_bytes: Annotated[
        bool, typer.Option(help="Also ignore the converted ONNX files' sha256 and size (when conversion changed)")
    ] = False,
) -> None:
    """Compare two catalogs figure by figure; timings and build metadata are ignored. Exit 1 if any differs."""
    from catalog.diff import diff_files

    for path in (old, new):
        if not path.is_file():
            fail_line(str(path), "no such catalog")
            raise typer.Exit(2)
    try:
        found = diff_files(old, new, ignore_converted_bytes=ignore_converted_bytes)
    except ValueError as error:
        fail_line(f"{old} or {new}", f"not JSON ({error})")
        raise typer.Exit(2) from None
    for line in found:
        out().print(line, markup=False, highlight=False, soft_wrap=True)
    err().print(f"{len(found)} figures differ" if found else "no figure differs")
    if found:
        raise typer.Exit(1)


# options several commands take, each declared once
BuildFolder = Annotated[
    Path | None, typer.Option("--out", help="The build folder holding catalog.json (default: the project's build/)")
]
Notebook = Annotated[bool, typer.Option("--notebook/--no-notebook", help="Execute the notebook into a Notebook page")]
PyodideUrl = Annotated[
    str | None,
    typer.Option(
        envvar="POSEZOO_PYODIDE_URL",
        help="The app page's pyodide.mjs, for a self-hosted Pyodide 0.29.3 (default: stlite's CDN)",
    ),
]


def _built_site(build_dir: Path, status: str, **options) -> Path:
    """`build_site(build_dir, **options)` under a status line: exit 2 where there is no catalog, 1 where
    mkdocs fails, each in one line."""
    from catalog.paths import CATALOG_FILE
    from catalog.publish.site import SiteError, build_site

    if not (build_dir / CATALOG_FILE).is_file():
        err().print(f"posezoo: error: no catalog at {build_dir / CATALOG_FILE}: run posezoo build first", markup=False)
        raise typer.Exit(2)
    with err().status(status):
        try:
            return build_site(build_dir, **options)
        except SiteError as error:
            fail_line(str(build_dir), str(error))
            raise typer.Exit(1) from None


@app.command("site")
def site_command(
    out: BuildFolder = None,
    notebook: Notebook = True,
    pyodide_url: PyodideUrl = None,
) -> None:
    """Build the docs site from BUILD/catalog.json: the cards, the Zoo table, the charts, the notebook, the app."""
    require_extra("docs", "posezoo site")
    from catalog.paths import DEFAULT_OUT

    build_dir = out or DEFAULT_OUT
    site_dir = _built_site(build_dir, "building the site", notebook=notebook, pyodide_url=pyodide_url)
    err().print(f"the site is in {site_dir}; preview it with", markup=False)
    preview = "posezoo preview" + ("" if out is None else f" --out {build_dir}")
    err().print(f"  {preview}   (then open http://127.0.0.1:8000/; it sends the Try-it page's COOP/COEP)", markup=False)
    err().print(f"  or: mkdocs serve -f {build_dir / 'site-src' / 'mkdocs.yml'}", markup=False)
    serve = "posezoo serve" + ("" if out is None else f" --out {build_dir}")
    err().print(f"  {serve} runs the Streamlit app, and serves the site beside it", markup=False)


@app.command("release-docs")
def release_docs_command(
    version: Annotated[str, typer.Argument(help="The release, e.g. 0.2.0: the site's folder for it")],
    alias: Annotated[
        list[str] | None, typer.Option(help="Aliases moved onto this release; the first is the site's default")
    ] = None,
    out: BuildFolder = None,
    branch: Annotated[str, typer.Option(help="The git branch the site is served from")] = "gh-pages",
    notebook: Notebook = True,
    pyodide_url: PyodideUrl = None,
) -> None:
    """Build the docs site with its version switcher and commit it to the site's branch as VERSION (mike):
    every release keeps its own folder, cards, catalog.json and models. Run it in the project's git checkout;
    it pushes nothing."""
    require_extra("docs", "posezoo release-docs")
    from catalog.paths import DEFAULT_OUT
    from catalog.publish.versions import LATEST, VersionsError, deploy_version

    build_dir = out or DEFAULT_OUT
    aliases = alias if alias is not None else [LATEST]
    status = f"building the site of {version}"
    site_dir = _built_site(build_dir, status, notebook=notebook, pyodide_url=pyodide_url, versioned=True)
    try:
        commit = deploy_version(site_dir, version, aliases, branch=branch)
    except VersionsError as error:
        fail_line(str(build_dir), str(error))
        raise typer.Exit(1) from None
    shown = f" ({', '.join(aliases)})" if aliases else ""
    typer.echo(f"{version}{shown} committed to {branch} at {commit[:12]}: push it with git push origin {branch}")


@app.command("preview")
def preview_command(
    out: Annotated[
        Path | None, typer.Option(help="The build folder holding site/ (default: the project's build/)")
    ] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="The port on 127.0.0.1 (0: any free one)")] = 8000,
) -> None:
    """Serve BUILD/site on 127.0.0.1 with the COOP/COEP headers the Try-it page's threads need."""
    from catalog.paths import DEFAULT_OUT
    from catalog.publish.preview import make_server
    from catalog.publish.site import SITE_DIR

    site_dir = (out or DEFAULT_OUT) / SITE_DIR
    if not (site_dir / "index.html").is_file():
        err().print(f"posezoo: error: no site at {site_dir}: run posezoo site first", markup=False)
        raise typer.Exit(2)
    try:
        server = make_server(site_dir, port)
    except OSError as error:
        fail_line(f"127.0.0.1:{port}", str(error))
        raise typer.Exit(1) from None
    address = f"http://127.0.0.1:{server.server_address[1]}/"
    err().print(f"serving {site_dir} at {address} (the Try-it page: {address}try/); Ctrl-C stops", markup=False)
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


@app.command("serve")
def serve_command(
    port: Annotated[int, typer.Option(min=0, max=65535, help="The app's port (0: any free one)")] = 8501,
    host: Annotated[str, typer.Option(help="The address to bind; 0.0.0.0 serves every network")] = "127.0.0.1",
    out: BuildFolder = None,
    site: Annotated[
        bool, typer.Option(help="Also serve BUILD/site (when built) on 127.0.0.1, cross-origin isolated")
    ] = True,
    site_port: Annotated[int, typer.Option(min=0, max=65535, help="The docs site's port (busy: any free one)")] = 8000,
    mirror: Annotated[
        Path | None,
        typer.Option(envvar="POSEZOO_MIRROR", help="For the build, when there is no catalog yet: as posezoo build's"),
    ] = None,
) -> None:
    """Run the Streamlit app on the built catalog (building it first if there is none) and print its URL."""
    require_extra("app", "posezoo serve")
    from catalog.app.serve import free_port, run, site_server, url_of
    from catalog.app.static import stage
    from catalog.paths import CATALOG_FILE, DEFAULT_OUT
    from catalog.publish.site import SITE_DIR, SiteError

    build_dir = out or DEFAULT_OUT
    if not (build_dir / CATALOG_FILE).is_file():
        err().print(f"no catalog at {build_dir / CATALOG_FILE}: building it first", markup=False)
        try:
            build_command(out=build_dir, mirror=mirror)
        except typer.Exit as exit_:
            if exit_.exit_code != 1 or not (build_dir / CATALOG_FILE).is_file():
                raise
            err().print("some variants failed to build: the app shows them as failed", markup=False)
    try:
        script = stage(build_dir)
    except SiteError as error:
        fail_line(str(build_dir), str(error))
        raise typer.Exit(2) from None
    port = port or free_port(host)
    with site_server(build_dir / SITE_DIR, site_port) if site else contextlib.nullcontext() as site_url:

        def ready() -> None:
            err().print(f"posezoo: the app is at {url_of(host, port)} (Ctrl-C stops it)", markup=False)
            if site_url:
                err().print(f"posezoo: the docs site is at {site_url} (its Try-it page uses every core)", markup=False)
            elif site:
                err().print("posezoo: `posezoo site` builds the docs site; serve then serves it too", markup=False)

        run(script, build_dir, host, port, site_url, ready)


@app.command("bench-device")
def bench_device_command(
    browser: Annotated[
        Path | None,
        typer.Option(help="A Chromium to run the page in (default: $POSEZOO_CHROMIUM or /usr/bin/chromium)"),
    ] = None,
    models: Annotated[
        list[str] | None,
        typer.Option("--models", help="Variant ids, each its own --models or comma-separated (default: all)"),
    ] = None,
    runtimes: Annotated[
        str, typer.Option(help="Browser runtimes, comma-separated: onnxruntime-web, litert.js, tfjs (default: all)")
    ] = "",
    threads: Annotated[str, typer.Option(help="wasm thread counts, comma-separated (default: 1 and every core)")] = "",
    runs: Annotated[int, typer.Option(min=1, help="Timed runs per model, form and engine")] = 30,
    warmup: Annotated[int, typer.Option(min=0, help="Untimed runs before them")] = 5,
    int8: Annotated[bool, typer.Option(help="Also the int8 ONNX forms")] = False,
    stop_after: Annotated[
        float | None,
        typer.Option(min=1, help="Press the page's Stop after this many seconds, keeping what was measured"),
    ] = None,
    name: Annotated[
        str, typer.Option(help="The device's name in the tables (default: the browser's description)")
    ] = "",
    out: Annotated[
        Path | None, typer.Option(help="The build folder holding site/ (default: the project's build/)")
    ] = None,
    to: Annotated[
        Path | None, typer.Option("--to", help="Where to write the JSON (default: devices/<device name>-<date>.json)")
    ] = None,
) -> None:
    """Run the site's benchmark page headless on this machine and write its device row under devices/."""
    require_extra("browser", "posezoo bench-device")
    from catalog.bench_device import Settings, file_name, run_page, write_result
    from catalog.measure.browser import CHROMIUM
    from catalog.paths import DEFAULT_DEVICES, DEFAULT_OUT
    from catalog.publish.site import SITE_DIR

    def split(text: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in text.split(",") if part.strip())

    try:
        counts = tuple(int(n) for n in split(threads))
    except ValueError:
        fail_line("--threads", f"{threads!r} is not a list of whole numbers")
        raise typer.Exit(2) from None
    settings = Settings(
        models=tuple(m for given in models or [] for m in split(given)),
        runtimes=split(runtimes),
        threads=counts,
        runs=runs,
        warmup=warmup,
        int8=int8,
        name=name,
    )
    site_dir = (out or DEFAULT_OUT) / SITE_DIR
    started = time.monotonic()
    try:
        with err().status("running the benchmark page") as status:
            bench = run_page(
                site_dir,
                settings,
                browser or Path(CHROMIUM),
                on_progress=lambda text: status.update(text),
                stop=lambda progress: stop_after is not None and time.monotonic() > started + stop_after,
            )
    except PosezooError as error:
        fail_line(error.where, error.reason)
        raise typer.Exit(1) from None
    for line in bench.failures:
        err().print(f"posezoo: not measured: {line}", markup=False)
    if bench.off_origin:
        fail_line("the benchmark page", f"asked for {bench.off_origin[0]}, off its own site")
        raise typer.Exit(1)
    path = write_result(bench.result, to or DEFAULT_DEVICES / file_name(bench.result))
    typer.echo(f"{len(bench.result.runs)} runs on {bench.result.device.name}: {path}")


def main() -> None:
    """The `posezoo` command: a command that needs an extra this install lacks says which, in one line."""
    from catalog.extras import MissingExtra, extra_of, missing

    try:
        app()
    except MissingExtra as error:
        fail_line(error.where, error.reason)
        sys.exit(2)
    except ModuleNotFoundError as error:  # an import no `requires` foresaw
        module = (error.name or "").split(".")[0]
        if not module or module == "catalog":
            raise
        found = missing(f"posezoo {' '.join(sys.argv[1:2])}".strip(), module, extra_of(module))
        fail_line(found.where, found.reason)
        sys.exit(2)


if __name__ == "__main__":
    main()
