"""The app on the real thing, the built test zoo, with streamlit's AppTest: every built variant's
card renders on its Model page, every runnable one can be chosen in Try it, the charts hold every
measured pose model with its Pareto front, and four real models compare."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("streamlit")

from catalog.app.comparison import BEST  # noqa: E402
from catalog.publish.charts import FRONT_NOTE  # noqa: E402
from catalog.publish.columns import BY_KEY  # noqa: E402
from tests.test_app import visitor  # noqa: E402


@pytest.fixture
def visit(app_zoo_build, monkeypatch):
    return visitor(app_zoo_build[0], monkeypatch)


def test_every_built_variant_has_its_card(visit, app_zoo_build):
    _, document = app_zoo_build
    built = [v for v in document["variants"] if v["status"] == "ok"]
    assert len(built) >= 15
    for variant in built:
        at = visit(model=variant["id"])
        assert not at.error, (variant["id"], [e.value for e in at.error])
        text = "\n".join(m.value for m in at.markdown)
        assert f"**{variant['license']['spdx']}**" in text
        family = next(f for f in document["families"] if f["id"] == variant["family"])
        advice = family["out_of_scope"]["uses"] + family["limitations"] + document["high_risk_uses"]["uses"]
        assert all(f"- {said}" in text for said in advice)
        # the original and the ONNX file, and the int8 file where the variant has one
        # (a PyTorch checkpoint's original is not published: its exported ONNX form is the first)
        expected = ("onnx_int8" in variant["formats"]) + 1 + (variant["original_format"] in variant["formats"])
        assert len(at.get("download_button")) == expected, variant["id"]


def test_the_charts_hold_every_measured_pose_model_and_the_front(visit, app_zoo_build):
    _, document = app_zoo_build
    measured = {v["id"] for v in document["variants"] if v["role"] == "model" and v.get("pipeline")}
    charts = visit(page="charts").get("plotly_chart")
    performance = json.loads(charts[2].proto.spec)  # after accuracy against latency and the timeline
    shown = {i for trace in performance["data"] if trace.get("mode") == "markers" for i in trace["customdata"]}
    assert shown == measured
    assert any(FRONT_NOTE in text for trace in performance["data"] for text in trace.get("hovertext") or [])


def test_four_real_models_compare(visit, app_zoo_build):
    _, document = app_zoo_build
    chosen = ["movenet-lightning", "movenet-thunder", "blazepose-full", "efficientpose-ii"]
    at = visit(page="compare", models=",".join(chosen))
    table = at.dataframe[0].value
    assert len(table.columns) == 4
    # the whole pipeline's compute: BlazePose's detector and MultiPose in front of Lightning both count
    flops = {v["id"]: v["pipeline"]["flops"] for v in document["variants"] if v["id"] in chosen}
    mflops = table.loc[BY_KEY["mflops"].name].tolist()
    assert [cell.endswith(BEST) for cell in mflops] == [flops[i] == min(flops.values()) for i in chosen]
