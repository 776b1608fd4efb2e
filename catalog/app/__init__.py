"""The Streamlit app: app.py's pages, and `posezoo serve`.

app.py imports the page modules only. They run under CPython (`posezoo serve`) and under
Pyodide (the docs site's stlite page), so they import nothing Pyodide lacks without a fallback
(`environment.py` says what differs). `serve.py` and `static.py` run the server and are never
imported by app.py.
"""
