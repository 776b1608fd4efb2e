"""The Try-it page: the docs site's Try-it page (web/try/, the same JavaScript modules), embedded.
It runs the model in the visitor's browser with onnxruntime-web: under `posezoo serve` its files
and the ONNX files come from Streamlit's static file serving, in the stlite page from the site.

The frame is as tall as the page: st.iframe(height="content") sizes an inline (srcdoc) frame to
the size its document posts; the frame starts as `redirect_page`, which goes on to the Try-it page,
and that page, embedded, posts its own size (web/try/main.js)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from catalog.app import environment
from catalog.app.data import Zoo
from catalog.app.links import Route

TRY_PAGE = "try/index.html"
PREVIEW = "http://127.0.0.1:8000/"  # where `posezoo preview` serves the site by default
INPUTS = ("camera", "sample")  # the page's `input=` deep links, passed on from the app's URL


def try_query(variant_id: str, source: str | None) -> str:
    """The page's query: the model, `embed`, and the input to start with where it is one of INPUTS."""
    query = {"model": variant_id, "embed": "1"}
    if source in INPUTS:
        query["input"] = source
    return "?" + urlencode(query)


def redirect_page(relative_url: str) -> str:
    """A page that replaces itself with `relative_url`, resolved against the app's own page: the
    stlite app cannot know its URL in Python (an inline frame inherits the page's base URL), and
    st.iframe sizes only an inline frame to its content."""
    target = json.dumps(relative_url).replace("</", "<\\/")
    return f"<!doctype html><script>location.replace(new URL({target}, document.baseURI).href)</script>"


def model_to_try(zoo: Zoo, wanted: str | None) -> str | None:
    """The model the embedded page starts with: the route's, where it can run in the browser."""
    runnable = zoo.runnable_ids()
    if not runnable:
        st.warning("No variant of this catalog can run in the browser: none was built with an ONNX file.")
        return None
    if wanted and wanted not in runnable:
        why = (
            "it is not in this catalog"
            if wanted not in zoo.variants
            else "it has no ONNX file to run, or is a detector"
        )
        st.warning(f"{wanted} cannot be tried here ({why}): the page starts with {zoo.title(runnable[0])}.")
    return wanted if wanted in runnable else runnable[0]


def threads_note(variant_id: str) -> str:
    """Where the model runs, why on one thread here, and what more threads did when measured: on
    an idle two-core machine by bench/browser_bench.py (issue 9), on a loaded one in the app
    against the site's page (issue 24); medians."""
    site = environment.site_url()
    where = (
        f"[the site's Try-it page]({site}try/?model={variant_id})"
        if site
        else f"the site's Try-it page (`posezoo site && posezoo preview`, then {PREVIEW}try/?model={variant_id})"
    )
    return (
        "The model runs in your browser with onnxruntime-web, not on the server: no frame leaves the page. "
        "**This page is not cross-origin isolated** (Streamlit sends no COOP/COEP headers), so onnxruntime-web's "
        f"wasm runs on **one thread** here; {where} may use every core. "
        "More threads help on an idle multi-core machine and may not on a loaded one. Measured for this "
        "project on two cores: idle, two threads ran MoveNet Lightning in 22 ms against 33 ms on one; loaded, "
        "one thread here (46.8 ms) beat two on the site's page (74–85 ms). Both pages show the threads they "
        "used and the inference time beside the picture: compare them on your machine."
    )


def try_page(zoo: Zoo, route: Route, main_script: Path) -> None:
    st.title("Try it")
    variant_id = model_to_try(zoo, route.model)
    if variant_id is None:
        return
    st.caption(
        "Choose a model in the page's picker, then start your camera, open an image or a video, or try it on "
        "the sample photo. "
        "The model's file is kept in your browser's cache for the next time."
    )
    query = try_query(variant_id, st.query_params.get("input"))
    st.info(threads_note(variant_id))
    if environment.IN_BROWSER:
        st.iframe(redirect_page(f"{environment.site_url()}{TRY_PAGE}{query}"), height="content", alt="Try it")
    elif environment.static_serving(main_script):
        st.iframe(redirect_page(f"{environment.STATIC_URL}{TRY_PAGE}{query}"), height="content", alt="Try it")
    else:
        st.warning(
            "The Try-it page's files are not served here: run the app with `posezoo serve`, which serves them "
            "(and the ONNX files) with Streamlit's static file serving from "
            f"{main_script.parent / environment.STATIC_DIR}."
        )
