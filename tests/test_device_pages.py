"""What devices measured, where a person choosing a model reads latency: each card's "Measured on
devices" table (the build machine's rows first, then each device's), the Charts page's latency by
device, and the zoo tables switched to a device's figures, on the site and in the app. Fast: the
fixture catalog and two hand-written device files (tests/fixtures/devices/), no build."""

from __future__ import annotations

import json
import re
from pathlib import Path

import markdown
import pytest

from catalog.cards.devices import DeviceEntry, load_devices, read_device
from catalog.publish.devices import DEVICE_COLUMNS, device_figure
from catalog.publish.formatting import memory, ms
from catalog.publish.model_card import render_card
from catalog.publish.site import zoo_page, zoo_table
from catalog.schema import Catalog, read_catalog

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "app" / "catalog.json"
DEVICES = ROOT / "tests" / "fixtures" / "devices"
PIXEL = "pixel-8-chrome-2025-10-02"
MACBOOK = "macbook-air-m2-safari-2025-09-28"
HEADERS = [column.header for column in DEVICE_COLUMNS]


def measured(*names: str) -> Catalog:
    """The fixture catalog with these devices' files in its `devices`, as a build reads devices/."""
    catalog = read_catalog(FIXTURE)
    return catalog.model_copy(update={"devices": [read_device(DEVICES / f"{name}.json") for name in names]})


def renamed(entry: DeviceEntry, name: str) -> DeviceEntry:
    return entry.model_copy(update={"device": entry.device.model_copy(update={"name": name})})


def section(card: str, heading: str) -> str:
    start = card.index(f"\n## {heading}\n")
    following = card.find("\n## ", start + 1)
    return card[start : following if following >= 0 else None]


def table_rows(text: str) -> list[dict[str, str]]:
    """The rows of the section's tables, by header, each with its device's heading (Device, Chip,
    Where: "**name** · chip · browser"); an escaped `|` stays in its cell."""
    rows: list[dict[str, str]] = []
    title: dict[str, str] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("**"):
            device, chip, where = line.split(" · ")
            title, header = {"Device": device.removeprefix("**").removesuffix("**"), "Chip": chip, "Where": where}, None
        elif line.startswith("| "):
            cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            if header is None:
                header = cells
            elif not set(cells) <= {"---", "---:"}:
                rows.append({**title, **dict(zip(header, cells, strict=True))})
    return rows


def test_the_fixture_devices_are_valid_device_results():
    entries, problems = load_devices(DEVICES)
    assert problems == []
    assert sorted(entry.id for entry in entries) == [MACBOOK, PIXEL]


# --------------------------------------------------------------------------- the card


def test_the_card_lists_the_build_machine_first_then_each_devices_runs():
    catalog = measured(PIXEL, MACBOOK)
    lightning = next(v for v in catalog.variants if v.id == "movenet-lightning")
    rows = table_rows(section(render_card(catalog, lightning.id, site=True), "Measured on devices"))
    # a device's columns are those its rows fill: the build's Python runtimes time no cold start
    assert list(rows[0]) == ["Device", "Chip", "Where", *(h for h in HEADERS if h != "Cold start (ms)")]

    # the build machine's rows first: onnxruntime's (Python, CPU), then headless Chromium's
    timed = [report.latency for report in lightning.formats.values() if report.latency]
    in_browser = [b for report in lightning.formats.values() for b in report.browser_latency or []]
    ours, theirs = rows[: len(timed) + len(in_browser)], rows[len(timed) + len(in_browser) :]
    assert {row["Device"] for row in ours} == {"Build machine (AMD EPYC)"}
    first, onnx = rows[0], lightning.formats["onnx"].latency
    assert first["Runtime"] == f"onnxruntime {onnx.runtime_version}" and first["Where"] == "Python"
    assert first["Compute unit"] == f"CPU ×{onnx.threads}"
    assert first["Precision"] == "float" and first["Chip"] == "AMD EPYC, 2 cores"
    assert first["Median (ms)"] == ms(onnx.median_ms) and first["p90 (ms)"] == ms(onnx.p90_ms)
    assert first["Peak memory (MiB)"] == memory(onnx.model_peak_mib)
    assert first["Pipeline (ms)"] == ms(lightning.pipeline.latency.median_ms)  # top-down behind MultiPose
    chromium = [row for row in ours if row["Where"].endswith("(headless)")]
    assert len(chromium) == len(in_browser)
    assert {row["Compute unit"] for row in chromium} == {"CPU (wasm) ×1", "CPU (wasm) ×2"}
    # a browser measures no peak memory: the column is left out of its rows
    assert all("Peak memory (MiB)" not in row and row["Cold start (ms)"].endswith("‡") for row in chromium)

    # then each device, by name: the MacBook's two runs, the Pixel's five, the CPU before the GPU
    assert [row["Device"] for row in theirs] == ["MacBook Air M2, Safari"] * 2 + ["Pixel 8, Chrome"] * 5
    assert [row["Compute unit"].split(" ×")[0] for row in theirs[2:]] == ["CPU (wasm)"] * 4 + ["GPU (WebGPU)"]
    pixel = next(row for row in theirs if row["Device"] == "Pixel 8, Chrome" and row["Compute unit"].endswith("×4"))
    assert pixel == {
        "Device": "Pixel 8, Chrome",
        "Chip": "arm valhall",  # the WebGPU adapter's vendor and family: the browser gives no description
        "Where": "Google Chrome 140.0.7339.155",
        "Runtime": "litert.js 2.5.3",
        "Compute unit": "CPU (wasm) ×4",
        "Precision": "float",
        "Median (ms)": "12.700",
        "p90 (ms)": "15.100",
        "Cold start (ms)": "129.100",  # the session (88.9) and the first inference (40.2)
        "Pipeline (ms)": "47.600",
    }
    int8 = next(row for row in theirs if row["Precision"] == "int8")
    assert int8["Median (ms)"] == "8.100"


def test_the_card_says_how_to_add_a_device_on_the_site_and_on_the_hub():
    catalog = measured(PIXEL, MACBOOK)
    on_site = section(render_card(catalog, "movenet-lightning", site=True), "Measured on devices")
    assert "[the benchmark page](../../benchmark/?models=movenet-lightning)" in on_site
    assert "`posezoo bench-device`" in on_site and "No device has measured" not in on_site
    on_hub = section(render_card(catalog, "movenet-lightning"), "Measured on devices")
    assert "the zoo's benchmark page" in on_hub and "../../benchmark/" not in on_hub
    assert "`posezoo bench-device`" in on_hub


def test_a_model_no_device_measured_shows_the_build_machines_rows_and_how_to_add_yours():
    catalog = measured(PIXEL, MACBOOK)
    said = section(render_card(catalog, "testpose", site=True), "Measured on devices")
    rows = table_rows(said)
    assert rows and {row["Device"] for row in rows} == {"Build machine (AMD EPYC)"}
    assert "No device has measured this model yet" in said
    assert "../../benchmark/?models=testpose" in said
    # the same without any device file at all
    assert table_rows(section(render_card(measured(), "testpose"), "Measured on devices")) == rows


def test_a_run_of_an_earlier_file_is_marked_and_never_ranked():
    """The Pixel timed a MoveNet Thunder TFLite file whose sha256 is not the catalog's now."""
    catalog = measured(PIXEL)
    said = section(render_card(catalog, "movenet-thunder", site=True), "Measured on devices")
    pixel = [row for row in table_rows(said) if row["Device"].startswith("Pixel 8")]
    assert [row["Runtime"] for row in pixel] == ["litert.js 2.5.3 †"]
    assert "- † measured on an earlier file: its sha256 is not the one this catalog publishes" in said
    assert not any(row["Runtime"].endswith("†") for row in table_rows(said) if row["Device"].startswith("Build"))
    thunder = next(v for v in catalog.variants if v.id == "movenet-thunder")
    assert device_figure(catalog.devices[0], thunder) is None  # the zoo table shows "—" for it


HOSTILE = '<script>alert("pwned")</script> | [click](javascript:alert(1)) <img src=x onerror=alert(2)>'


def test_a_device_name_is_shown_as_text_never_run():
    """A device's name is a contributor's: the card, the zoo table and the chart show it as text."""
    catalog = measured(PIXEL)
    catalog = catalog.model_copy(update={"devices": [renamed(catalog.devices[0], HOSTILE)]})
    said = section(render_card(catalog, "movenet-lightning", site=True), "Measured on devices")
    assert "<script>" not in said and "<img" not in said
    assert table_rows(said)[-1]["Device"].startswith('&lt;script&gt;alert("pwned")&lt;/script&gt; | \\[click\\]')
    table = markdown.markdown(said, extensions=["tables"]).split("<table>")[1].split("</table>")[0]
    assert "<script" not in table and "<img" not in table and "<a " not in table  # text, never a link

    page = zoo_page(catalog)
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page

    from catalog.publish.charts import latency_by_device
    from catalog.publish.table import frame_of

    figure = latency_by_device(frame_of(catalog.model_dump(mode="json", by_alias=True)))
    drawn = figure.to_json()
    assert "<script>" not in drawn and "<img" not in drawn and "&lt;script&gt;" in drawn


# --------------------------------------------------------------------------- the chart


def test_latency_by_device_has_a_trace_per_device_for_each_model():
    pytest.importorskip("plotly")
    from catalog.publish.charts import chart_figures, latency_by_device
    from catalog.publish.table import frame_of

    catalog = measured(PIXEL, MACBOOK)
    frame = frame_of(catalog.model_dump(mode="json", by_alias=True))
    figure = latency_by_device(frame)
    lightning = [trace for trace in figure.data if trace.customdata[0] == "movenet-lightning"]
    assert [trace.name for trace in lightning] == [
        "Build machine (AMD EPYC)",
        "MacBook Air M2, Safari",
        "Pixel 8, Chrome",
    ]
    assert all(trace.visible for trace in lightning)  # the first model a device measured is shown first
    assert not any(trace.visible for trace in figure.data if trace.customdata[0] != "movenet-lightning")
    macbook = lightning[1]
    assert list(macbook.x) == [14.6, 6.9] and list(macbook.y[1]) == [
        "onnxruntime-web, wasm ×1, float",
        "onnxruntime-web, WebGPU, float",
    ]
    # the menu shows one model at a time: each of its buttons makes exactly that model's traces visible
    buttons = figure.layout.updatemenus[0].buttons
    assert [button.label for button in buttons][:2] == ["MoveNet SinglePose Lightning", "MoveNet SinglePose Thunder"]
    thunder = buttons[1].args[0]["visible"]
    assert [trace.name for trace, shown in zip(figure.data, thunder, strict=True) if shown] == [
        "Build machine (AMD EPYC)",
        "Pixel 8, Chrome",
    ]
    stale = next(t for t, shown in zip(figure.data, thunder, strict=True) if shown and t.name == "Pixel 8, Chrome")
    assert list(stale.marker.pattern.shape) == ["/"]  # hatched: measured on an earlier file
    assert ("devices", "Latency by device") in [(name, heading) for name, heading, _ in chart_figures(frame)]


# --------------------------------------------------------------------------- the zoo tables


def _without_switch(html: str) -> str:
    html = re.sub(r' data-devices="[^"]*"', "", html)
    return re.sub(r"<label>Latency measured on .*?</output>", "", html)


def test_the_sites_zoo_table_carries_each_devices_figures_and_shows_the_build_machines_by_default():
    plain, catalog = measured(), measured(PIXEL, MACBOOK)
    table = zoo_table(catalog)
    assert _without_switch(table) == zoo_table(plain)  # the default is today's table, figure for figure
    assert "data-devices" not in zoo_table(plain) and 'id="zoo-device"' not in zoo_table(plain)

    options = re.findall(r'<option value="([^"]*)"(?: data-note="[^"]*")?>([^<]*)</option>', table)
    assert options[-3:] == [
        ("", "Build machine (AMD EPYC)"),
        (MACBOOK, "MacBook Air M2, Safari"),
        (PIXEL, "Pixel 8, Chrome"),
    ]
    cells = dict(re.findall(r'<tr data-id="([^"]+)".*?<td data-column="Latency \(ms\)"([^>]*)>', table))
    figures = {
        variant: json.loads(re.search(r'data-devices="([^"]*)"', attrs).group(1).replace("&quot;", '"'))
        for variant, attrs in cells.items()
        if "data-devices" in attrs
    }
    assert figures["movenet-lightning"] == {
        MACBOOK: {"value": 30.4, "text": "30.400", "detail": "whole pipeline: onnxruntime-web, WebGPU"},
        PIXEL: {"value": 39.9, "text": "39.900", "detail": "whole pipeline: litert.js, WebGPU"},
    }
    assert figures["blazepose-lite"] == {
        PIXEL: {"value": 42.8, "text": "42.800", "detail": "whole pipeline: litert.js, wasm, 4 threads"}
    }
    assert figures["movenet-thunder"] == {} and figures["testpose"] == {}  # "—" on every device
    assert "blazepose-detector" not in figures and "testpose-broken" not in figures  # a component, a failed build
    assert "../benchmark/" in zoo_page(catalog) and "../benchmark/" in zoo_page(plain)


def test_the_apps_zoo_table_takes_a_devices_latency():
    pytest.importorskip("streamlit")
    from catalog.app import zoo_table as zt

    plain, catalog = measured(), measured(PIXEL, MACBOOK)
    assert zt.zoo_table(catalog).equals(zt.zoo_table(plain))
    assert zt.zoo_table(catalog, "no-such-device").equals(zt.zoo_table(plain))
    table = zt.zoo_table(catalog, PIXEL).set_index(zt.ID)
    assert list(table.columns).index(zt.MEASURED_WITH) == list(table.columns).index(zt.LATENCY) + 1
    assert table.at["movenet-lightning", zt.LATENCY] == 39.9
    assert table.at["movenet-lightning", zt.MEASURED_WITH] == "whole pipeline: litert.js, WebGPU"
    assert table.at["blazepose-lite", zt.LATENCY] == 42.8
    unmeasured = table.loc[["movenet-thunder", "efficientpose-rt", "blazepose-detector"], zt.LATENCY]
    assert unmeasured.isna().all()


def test_the_app_switches_its_zoo_table_to_a_device_and_links_the_benchmark_page(tmp_path, monkeypatch):
    pytest.importorskip("streamlit")
    from catalog.app import zoo_table as zt
    from tests.test_app import visitor, write_build

    document = json.loads(FIXTURE.read_text("utf-8"))
    document["devices"] = [
        json.loads((DEVICES / f"{name}.json").read_text("utf-8")) | {"id": name} for name in (PIXEL,)
    ]
    visit = visitor(write_build(tmp_path / "build", document), monkeypatch)
    monkeypatch.setenv("POSEZOO_SITE_URL", "http://127.0.0.1:8000/")

    at = visit()
    before = at.dataframe[0].value.set_index(zt.ID)
    assert before.at["movenet-lightning", zt.LATENCY] == document["variants"][0]["pipeline"]["latency"]["median_ms"]
    assert any(
        m.value.startswith("[Measure your device](http://127.0.0.1:8000/benchmark/)") for m in at.sidebar.markdown
    )

    at.selectbox(key="zoo_device").set_value(PIXEL).run()
    after = at.dataframe[0].value.set_index(zt.ID)
    assert after.at["movenet-lightning", zt.LATENCY] == 39.9
    assert after.at["movenet-lightning", zt.MEASURED_WITH] == "whole pipeline: litert.js, WebGPU"
    assert at.caption[0].value.startswith("Pixel 8, Chrome: measured in Google Chrome 140.0.7339.155 on Android 14")

    card = "\n".join(m.value for m in visit(model="movenet-lightning").markdown)
    assert "](http://127.0.0.1:8000/benchmark/?models=movenet-lightning)" in card


def test_two_files_of_one_device_name_stay_apart():
    """Two people measured the same phone model: each file keeps its rows, named by its file."""
    pytest.importorskip("plotly")
    from catalog.publish.charts import latency_by_device
    from catalog.publish.table import frame_of

    pixel = read_device(DEVICES / f"{PIXEL}.json")
    catalog = measured().model_copy(update={"devices": [pixel, pixel.model_copy(update={"id": "pixel-8-again"})]})
    rows = table_rows(section(render_card(catalog, "blazepose-lite"), "Measured on devices"))
    assert [row["Device"] for row in rows if row["Device"].startswith("Pixel")] == [
        "Pixel 8, Chrome (pixel-8-again)",
        f"Pixel 8, Chrome ({PIXEL})",
    ]
    figure = latency_by_device(frame_of(catalog.model_dump(mode="json", by_alias=True)))
    names = [trace.name for trace in figure.data if trace.customdata[0] == "blazepose-lite"]
    assert names == ["Build machine (AMD EPYC)", "Pixel 8, Chrome (pixel-8-again)", f"Pixel 8, Chrome ({PIXEL})"]
