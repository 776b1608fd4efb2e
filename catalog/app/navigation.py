"""Where the visitor is: the page and its models, kept in the session and mirrored in the URL's
query (so every view is a deep link), the menu, the page's title, and a page drawn without
ever showing a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from catalog.app import environment
from catalog.app.data import CatalogProblem, Zoo
from catalog.app.links import BENCHMARK_PAGE, PAGES, Route, query_of, route_of

PAGE_KEY = "posezoo_page"
MODELS_KEY = "posezoo_models"
SITE_NAME = "posezoo"
logger = logging.getLogger("posezoo.app")


def current_route() -> Route:
    """The route of this session: the URL's on the first run, then wherever the visitor went."""
    if PAGE_KEY not in st.session_state:
        route = route_of(st.query_params.to_dict())
        st.session_state[PAGE_KEY] = route.page
        st.session_state[MODELS_KEY] = route.models
    return Route(st.session_state[PAGE_KEY], tuple(st.session_state.get(MODELS_KEY, ())))


def go(route: Route) -> None:
    """Open `route` (from a widget's callback: the next run draws it)."""
    st.session_state[PAGE_KEY] = route.page
    st.session_state[MODELS_KEY] = route.models
    st.query_params.from_dict(query_of(route))


def _menu_changed() -> None:
    go(Route(st.session_state[PAGE_KEY], tuple(st.session_state.get(MODELS_KEY, ()))))


def menu() -> None:
    st.sidebar.title(SITE_NAME)
    st.sidebar.caption("The open catalog of on-device human-pose models")
    st.sidebar.radio("Page", list(PAGES), format_func=PAGES.__getitem__, key=PAGE_KEY, on_change=_menu_changed)
    measure_link()


def measure_link() -> None:
    """The docs site's benchmark page, which times the zoo's models in the visitor's own browser."""
    site = environment.site_url()
    if site:
        st.sidebar.markdown(f"[Measure your device]({site}{BENCHMARK_PAGE}): the zoo's models, timed in your browser.")
    else:
        st.sidebar.caption(
            "Measure your device: the docs site's benchmark page times the zoo's models in your browser "
            "(`posezoo site && posezoo preview`, then open benchmark/)."
        )


def page_title(route: Route, zoo: Zoo | None) -> str:
    """The browser tab's title: the models' names on their pages, else the page's."""
    known = [m for m in route.models if zoo is not None and m in zoo.variants]
    if zoo is not None and known and route.page in ("model", "try", "compare"):
        names = ", ".join(zoo.title(m) for m in known)
        prefix = {"model": "", "try": "Try ", "compare": "Compare "}[route.page]
        return f"{prefix}{names} · {SITE_NAME}"
    return f"{PAGES[route.page]} · {SITE_NAME}"


def draw(page: Callable[..., None], *args: object) -> None:
    """Draws a page; whatever goes wrong is a sentence on the page, the traceback only in the server's log."""
    try:
        page(*args)
    except CatalogProblem as problem:
        st.error(str(problem))
    except Exception as error:
        logger.exception("posezoo: the page failed")
        st.error(
            f"This page could not be drawn ({type(error).__name__}: {error}). "
            "The other pages still work; please report this with the catalog you used."
        )
