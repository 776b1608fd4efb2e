"""`posezoo preview`: the built site on http://127.0.0.1:PORT/ with the headers a static host
should send, so the Try-it page is cross-origin isolated and onnxruntime-web's wasm can use
threads (SharedArrayBuffer needs COOP/COEP). Bound to the loopback address only."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

from catalog.measure.browser import IsolatedHandler

HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def make_server(site_dir: Path, port: int = DEFAULT_PORT, *, quiet: bool = False) -> http.server.ThreadingHTTPServer:
    """A server of `site_dir` on 127.0.0.1:`port` (0: any free port), not yet serving."""
    handler = type("Handler", (IsolatedHandler,), {"quiet": quiet})
    return http.server.ThreadingHTTPServer((HOST, port), functools.partial(handler, directory=str(site_dir)))


def serve(site_dir: Path, port: int = DEFAULT_PORT) -> None:
    """Serves `site_dir` until interrupted."""
    with make_server(site_dir, port) as server:
        server.serve_forever()
