"""posezoo's Streamlit app: browse, compare, chart and try the zoo.

    posezoo serve                      # builds the catalog if need be, then runs this app
    streamlit run app.py               # the same on an existing build/ (no Try-it files)

It also runs fully in the browser, on Pyodide, as the docs site's stlite page. Deep links:
?model=<id>, ?page=compare&models=<id>,<id>, ?page=charts, ?page=try&model=<id>.
"""

from pathlib import Path

import streamlit as st

from catalog.app.charts_page import charts_page
from catalog.app.compare_page import compare_page
from catalog.app.data import zoo_or_problem
from catalog.app.environment import build_dir
from catalog.app.model_page import model_page
from catalog.app.navigation import current_route, draw, menu, page_title
from catalog.app.try_page import try_page
from catalog.app.zoo_page import zoo_page

route = current_route()
zoo, problem = zoo_or_problem(build_dir())
st.set_page_config(page_title=page_title(route, zoo), page_icon="🧍", layout="wide")
menu()
if zoo is None:
    st.title("posezoo")
    st.error(problem)
elif route.page == "model":
    draw(model_page, zoo, route)
elif route.page == "compare":
    draw(compare_page, zoo, route)
elif route.page == "charts":
    draw(charts_page, zoo)
elif route.page == "try":
    draw(try_page, zoo, route, Path(__file__))
else:
    draw(zoo_page, zoo)
