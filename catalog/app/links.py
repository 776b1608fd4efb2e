"""Deep links: which page and which models a URL's query asks for, and the query of a page.

?model=movenet-lightning                 the model's page
?page=compare&models=a,b                 those models side by side
?page=try&model=movenet-lightning        the Try-it page with that model
?page=charts                             the charts
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PAGES: dict[str, str] = {  # query value -> the page's name in the menu
    "zoo": "Zoo",
    "model": "Model",
    "compare": "Compare",
    "charts": "Charts",
    "try": "Try it",
}
MAX_COMPARED = 4
NUMBERS_PAGE = "numbers/"  # the docs site's Numbers page (site/docs/numbers.md): how each figure is counted
BENCHMARK_PAGE = "benchmark/"  # the docs site's benchmark page (web/benchmark/): the zoo timed on your device


@dataclass(frozen=True)
class Route:
    page: str = "zoo"
    models: tuple[str, ...] = ()

    @property
    def model(self) -> str | None:
        return self.models[0] if self.models else None


def _values(query: Mapping[str, str | list[str]], key: str) -> list[str]:
    value = query.get(key, "")
    texts = value if isinstance(value, list) else [value]
    return [part.strip() for text in texts for part in str(text).split(",") if part.strip()]


def route_of(query: Mapping[str, str | list[str]]) -> Route:
    """The route a query asks for. A model without a page opens that model's page, models without
    one the comparison; an unknown page is the Zoo."""
    page = (_values(query, "page") or [""])[0]
    models = tuple(dict.fromkeys(_values(query, "models") + _values(query, "model")))
    if page not in PAGES:
        page = "compare" if _values(query, "models") else "model" if models else "zoo"
    return Route(page, models[:MAX_COMPARED] if page == "compare" else models[:1])


def query_of(route: Route) -> dict[str, str]:
    """The shortest query that opens `route`."""
    if route.page == "model" and route.model:
        return {"model": route.model}
    query = {"page": route.page} if route.page != "zoo" else {}
    if route.page == "compare" and route.models:
        query["models"] = ",".join(route.models)
    elif route.model and route.page == "try":
        query["model"] = route.model
    return query


def href(route: Route) -> str:
    """A relative link to `route` (a query string, so it stays on the app's own URL)."""
    from urllib.parse import urlencode

    query = query_of(route)
    return "?" + urlencode(query, safe=",") if query else "?"
