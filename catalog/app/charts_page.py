"""The Charts page: the docs site's figures (`catalog.publish.charts`): hover names the model,
selecting a point opens it, the Pareto front is drawn. Pyodide ships no plotly: in the browser
the page shows the same figures, made by the same functions when the site was built, drawn by
the site's own plotly.js."""

from __future__ import annotations

import html
import json
from functools import partial
from pathlib import Path

import streamlit as st

from catalog.app import environment
from catalog.app.data import Zoo
from catalog.app.links import Route
from catalog.app.navigation import go

ROUND_KEY = "charts_round"  # in the chart keys: a fresh round after a point opened a model drops its selection
PLOTLY_JS = "assets/javascripts/plotly.min.js"  # in the docs site
FIGURE_HEIGHT = 560


def selected_model(points: list[dict]) -> str | None:
    """The variant id of the first selected point (the chart functions put it in `customdata`)."""
    return next((p["customdata"] for p in points if isinstance(p.get("customdata"), str)), None)


def point_chosen(key: str) -> None:
    """Opens the model of the point selected in chart `key`."""
    variant_id = selected_model(st.session_state[key]["selection"]["points"])
    if variant_id:
        st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
        go(Route("model", (variant_id,)))


def plotly_charts(zoo: Zoo) -> None:
    from catalog.publish.charts import chart_figures

    round_ = st.session_state.get(ROUND_KEY, 0)
    for name, heading, figure in chart_figures(zoo.frame()):
        st.subheader(heading)
        key = f"chart_{name}_{round_}"
        st.plotly_chart(
            figure,
            key=key,
            on_select=partial(point_chosen, key),
            selection_mode="points",
            theme=None,  # the figure as the site draws it
            config={"displaylogo": False},
        )


def figure_page(spec: dict, plotly_js: str) -> str:
    """A figure's own small page: the site's plotly.js draws it; a click opens the point's model in a new tab."""
    figure = json.dumps(spec).replace("</", "<\\/")
    return f"""<!doctype html><html><head><meta charset="utf-8">
<script src="{html.escape(plotly_js, quote=True)}"></script></head>
<body style="margin:0"><div id="figure"></div>
<script>
const spec = {figure};
const div = document.getElementById("figure");
Plotly.newPlot(div, spec.data, spec.layout, {{displaylogo: false, responsive: true}}).then(() =>
  div.on("plotly_click", (event) => {{
    const id = event.points.map((p) => p.customdata).find((c) => typeof c === "string");
    if (id) window.open(new URL("?model=" + encodeURIComponent(id), document.baseURI), "_blank");
  }}));
</script></body></html>"""


def drawn_when_built(zoo: Zoo) -> None:
    from catalog.publish.stlite import CHARTS_DIR, CHARTS_INDEX

    folder: Path = zoo.path.parent / CHARTS_DIR
    site = environment.site_url()
    try:
        index = json.loads((folder / CHARTS_INDEX).read_text("utf-8"))
    except (OSError, ValueError):
        index = []
    if not index or site is None:
        st.info("The charts need plotly (`pip install plotly`); the docs site's Charts page has them too.")
        return
    st.caption("Click a point to open its model in a new tab.")
    for name, heading in index:
        spec = json.loads((folder / f"{name}.json").read_text("utf-8"))
        st.subheader(heading)
        st.iframe(figure_page(spec, site + PLOTLY_JS), height=FIGURE_HEIGHT + 20)


def charts_page(zoo: Zoo) -> None:
    st.title("Charts")
    st.write(
        "Drawn from the catalog by the docs site's chart functions. Hover over a marker for the model and its "
        "figures; select a point to open its model; drag to zoom, double-click to zoom out. The dashed line is the "
        "Pareto front: the models no other beats on both axes. Latency by device shows one model at a time: choose it "
        "in the chart's menu."
    )
    if environment.has_plotly():
        plotly_charts(zoo)
    else:
        drawn_when_built(zoo)
