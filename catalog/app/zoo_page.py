"""The Zoo page: every variant in one table, narrowed by filters and a search, its latency the build
machine's or a measured device's; selecting rows offers to open those models, or to compare them."""

from __future__ import annotations

import math

import streamlit as st

from catalog.app import zoo_table as zt
from catalog.app.data import Zoo
from catalog.app.links import MAX_COMPARED, Route
from catalog.app.navigation import go
from catalog.publish.devices import device_labels, figures_note, machine_name, measured_devices
from catalog.publish.records import LATENCY_RUNTIME

TABLE_KEY = "zoo_table"
DEVICE_KEY = "zoo_device"
ROW_PX = 35  # a row of st.dataframe
NUMBER_FORMATS = {c.header: f"%.{c.digits}f" for c in zt.NUMBERS}  # as the site's table shows them


def table_height(rows: int) -> int:
    """Pixels for a table as tall as its rows and header: no scroll bar of its own."""
    return ROW_PX * (rows + 1) + 3


def _choice(column, label: str, table, key: str) -> tuple[str, ...]:
    return tuple(column.multiselect(label, zt.choices(table, label), key=key, placeholder="All"))


def _range(column, label: str, table, key: str) -> tuple[float, float] | None:
    """A slider over the column's figures; None while it spans them all."""
    limits = zt.bounds(table, label)
    if limits is None:
        return None
    low, high = math.floor(limits[0] * 10) / 10, math.ceil(limits[1] * 10) / 10
    if low >= high:
        return None
    chosen = column.slider(label, low, high, (low, high), key=key)
    return None if tuple(chosen) == (low, high) else (float(chosen[0]), float(chosen[1]))


def filters(table) -> zt.Filters:
    search = st.text_input("Search", key="zoo_search", placeholder="a name, a task, a license, a keypoint schema…")
    first = st.columns(5)
    chosen = {
        "tasks": _choice(first[0], zt.TASK, table, "zoo_task"),
        "schemas": _choice(first[1], zt.SCHEMA, table, "zoo_schema"),
        "formats": _choice(first[2], zt.FORMAT, table, "zoo_format"),
        "precisions": _choice(first[3], zt.PRECISION, table, "zoo_precision"),
        "licenses": _choice(first[4], zt.LICENSE, table, "zoo_license"),
    }
    second = st.columns(3)
    ranges = {
        "size_mib": _range(second[0], zt.SIZE, table, "zoo_size"),
        "mflops": _range(second[1], zt.MFLOPS, table, "zoo_mflops"),
        "latency_ms": _range(second[2], zt.LATENCY, table, "zoo_latency"),
    }
    return zt.Filters(search=search, **chosen, **ranges)


def device_choice(zoo: Zoo) -> str | None:
    """The device whose latency the table shows, chosen among those the catalog holds; None for the
    build machine's, and where no device was measured (then there is nothing to choose)."""
    devices = measured_devices(zoo.catalog.devices)
    if not devices:
        return None
    labels = {"": machine_name(zoo.catalog.machine), **device_labels(devices)}
    chosen = st.selectbox("Latency measured on", list(labels), format_func=labels.__getitem__, key=DEVICE_KEY)
    entry = next((e for e in devices if e.id == chosen), None)
    if entry is None:
        return None
    st.caption(figures_note(entry))
    return entry.id


def selected_ids(shown) -> list[str]:
    """The ids of the rows selected in the table (positions into what it shows)."""
    rows = ((st.session_state.get(TABLE_KEY) or {}).get("selection") or {}).get("rows", [])
    return [str(shown.iloc[i][zt.ID]) for i in rows if 0 <= i < len(shown)]


def open_buttons(zoo: Zoo, ids: list[str]) -> None:
    listed = [i for i in ids if i not in zoo.variants]
    if listed:
        st.caption(f"Listed, not built here, so there is nothing to open: {', '.join(listed)} (its status says why).")
    ids = [i for i in ids if i in zoo.variants]
    if not ids:
        st.caption("Select rows to open those models, or two to four of them to compare.")
        return
    columns = st.columns(min(len(ids), MAX_COMPARED) + 1)
    for column, variant_id in zip(columns, ids[:MAX_COMPARED], strict=False):
        column.button(
            f"Open {zoo.title(variant_id)}",
            key=f"open_{variant_id}",
            on_click=go,
            args=(Route("model", (variant_id,)),),
        )
    if 2 <= len(ids) <= MAX_COMPARED:
        columns[-1].button(
            f"Compare these {len(ids)}",
            type="primary",
            key="compare_selected",
            on_click=go,
            args=(Route("compare", tuple(ids)),),
        )
    elif len(ids) > MAX_COMPARED:
        columns[-1].warning(f"Compare takes {MAX_COMPARED} models at most: {len(ids)} are selected.")


def zoo_page(zoo: Zoo) -> None:
    st.title("The zoo")
    st.write(
        "Every variant in the catalog, one row each. Latency and MFLOPs are the whole pipeline's a user "
        "runs, image in, poses out, its person detector included, on the variant's ONNX files "
        f"({LATENCY_RUNTIME}, CPU, median on {zoo.catalog.machine.cpu}); a person detector is a component, "
        "with no figure of its own to rank. Size, parameters and precision are the variant's ONNX file's: "
        f"*{zt.FORMAT}* names what it was converted from. The original file's figures, and the stages of "
        "the pipeline, are on each model's page. The greyed rows after them are listed, not built here: "
        f"their *{zt.STATUS}* says why (no weights, no license, a license that forbids redistribution, or a "
        "file this build could not fetch), and the docs site's page of each gives the authors' own figures."
    )
    device = device_choice(zoo)
    table = zt.zoo_table(zoo.catalog, device)
    shown = zt.apply(table, filters(table))
    st.caption(f"{len(shown)} of {len(table)} variants")
    st.dataframe(
        zt.styled(shown),
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        height=table_height(len(shown)),
        column_config={
            **{column: st.column_config.NumberColumn(format=f) for column, f in NUMBER_FORMATS.items()},
            zt.FORMAT: st.column_config.TextColumn(help=zt.FIGURES_OF.title),
            zt.MEASURED_WITH: st.column_config.TextColumn(
                help="What the device's figure is of: runtime, backend, threads"
            ),
        },
    )
    open_buttons(zoo, selected_ids(shown))
