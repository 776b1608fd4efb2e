"""The Try-it page: the docs site's Try-it page (web/try/, the same JavaScript modules), embedded.
It runs the model in the visitor's browser with onnxruntime-web: under `posezoo serve` its files
and the ONNX files come from Streamlit's static file serving, in the stlite page from the site."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from catalog.app import environment
from catalog.app.data import Zoo
from catalog.app.links import Route

FRAME_HEIGHT = 1000
TRY_PAGE = "try/index.html"
PREVIEW = "http://127.0.0.1:8000/"  # where `posezoo preview` serves the site by default


def try_query(variant_id: str, camera: bool) -> str:
    query = {"model": variant_id, "embed": "1"}
    if camera:
        query["input"] = "camera"
    return "?" + urlencode(query)


def redirect_page(relative_url: str) -> str:
    """A page that replaces itself with `relative_url`, resolved against the app's own page (the
    stlite app cannot know its URL in Python; its embedded frame inherits the page's base URL)."""
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


def full_speed_note(variant_id: str) -> str:
    site = environment.site_url()
    where = (
        f"[the site's Try-it page]({site}try/?model={variant_id})"
        if site
        else f"the site's Try-it page: `posezoo site && posezoo preview`, then {PREVIEW}try/?model={variant_id}"
    )
    return (
        "The model runs in your browser with onnxruntime-web, not on the server: no frame leaves the page. "
        "**This page is not cross-origin isolated** (Streamlit sends no COOP/COEP headers), so onnxruntime-web's "
        "wasm runs on **one thread**: the inference times beside the picture are one-thread figures. "
        f"For every core, open {where}."
    )


def try_page(zoo: Zoo, route: Route, main_script: Path) -> None:
    st.title("Try it")
    variant_id = model_to_try(zoo, route.model)
    if variant_id is None:
        return
    st.caption(
        "Choose a model in the page's picker and load it, then start your camera or open an image or a video. "
        "The model's file is kept in your browser's cache for the next time."
    )
    query = try_query(variant_id, camera=st.query_params.get("input") == "camera")
    embed, note = st.columns([4, 1])
    note.info(full_speed_note(variant_id))
    if environment.IN_BROWSER:
        with embed:
            st.iframe(redirect_page(f"{environment.site_url()}{TRY_PAGE}{query}"), height=FRAME_HEIGHT, alt="Try it")
    elif environment.static_serving(main_script):
        with embed:
            st.iframe(f"{environment.STATIC_URL}{TRY_PAGE}{query}", height=FRAME_HEIGHT, alt="Try it")
    else:
        embed.warning(
            "The Try-it page's files are not served here: run the app with `posezoo serve`, which serves them "
            "(and the ONNX files) with Streamlit's static file serving from "
            f"{main_script.parent / environment.STATIC_DIR}."
        )
