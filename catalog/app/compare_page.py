"""The Compare page: two to four models side by side, every figure in one table with the best of
each row marked, and bars for size, parameters, compute and latency."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from catalog.app.comparison import BARS, BEST, compare
from catalog.app.data import Zoo
from catalog.app.links import MAX_COMPARED, Route
from catalog.app.navigation import go
from catalog.app.zoo_page import table_height

CHOICE_KEY = "compare_choice"
BEST_STYLE = "background-color: rgba(33, 195, 84, 0.18); font-weight: 600"


def choose_models(zoo: Zoo, wanted: tuple[str, ...]) -> list[str]:
    ids = zoo.built_ids()
    unknown = [i for i in wanted if i not in ids]
    if unknown:
        st.warning(f"Not in this catalog, or not built: {', '.join(unknown)}.")
    chosen = [i for i in wanted if i in ids][:MAX_COMPARED]
    if st.session_state.get(CHOICE_KEY) != chosen:
        st.session_state[CHOICE_KEY] = chosen

    def changed() -> None:
        go(Route("compare", tuple(st.session_state[CHOICE_KEY])))

    st.multiselect(
        f"Models (2 to {MAX_COMPARED})",
        ids,
        format_func=zoo.title,
        max_selections=MAX_COMPARED,
        key=CHOICE_KEY,
        on_change=changed,
    )
    return chosen


def bars(values: pd.DataFrame) -> None:
    """One bar per model for each figure of BARS, in the order the models were chosen, names whole."""
    import altair as alt

    for label, figure in BARS.items():
        if figure not in values.index:
            continue
        series = pd.to_numeric(values.loc[figure], errors="coerce").dropna()
        data = pd.DataFrame({"Model": series.index, label: series.to_numpy()})
        chart = (
            alt.Chart(data, title=label)
            .mark_bar()
            .encode(
                x=alt.X(f"{label}:Q", title=None),
                y=alt.Y("Model:N", sort=None, title=None, axis=alt.Axis(labelLimit=0)),
                tooltip=["Model", alt.Tooltip(f"{label}:Q", format=",.2f")],
            )
            .properties(height=alt.Step(30))  # 30 px per model
        )
        st.altair_chart(chart)


def compare_page(zoo: Zoo, route: Route) -> None:
    st.title("Compare")
    chosen = choose_models(zoo, route.models)
    if len(chosen) < 2:
        st.info(f"Choose two to {MAX_COMPARED} models to see them side by side (or select them in the Zoo's table).")
        return
    comparison = compare(zoo.catalog, chosen)
    styled = comparison.shown.style.apply(lambda _: comparison.best.map(lambda b: BEST_STYLE if b else ""), axis=None)
    st.dataframe(
        styled,
        key="comparison",
        height=table_height(len(comparison.shown)),
        column_config={"_index": st.column_config.Column(width="large")},
    )
    st.caption(
        f"{BEST} marks the best of a row that has a direction: the larger accuracy (AP, AP50, PCK@0.1 on the zoo's "
        "evaluation set; where intervals overlap, the set does not tell the models apart), the smaller size, "
        "parameters, compute, latency, memory, int8 drop and conversion difference. "
        "The figures are those of each variant's ONNX file."
    )
    bars(comparison.values)
