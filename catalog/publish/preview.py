"""`posezoo preview`: the built site on http://127.0.0.1:PORT/ with the headers a static host
should send, so the Try-it page is cross-origin isolated and onnxruntime-web's wasm can use
threads (SharedArrayBuffer needs COOP/COEP). Bound to the loopback address only."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

from catalog.publish.site import ISOLATION_HEADERS

HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class IsolatedHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy on every answer."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".onnx": "application/octet-stream",
    }
    quiet = False

    def end_headers(self) -> None:
        for name, value in ISOLATION_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if not self.quiet:
            super().log_message(format, *args)


def make_server(site_dir: Path, port: int = DEFAULT_PORT, *, quiet: bool = False) -> http.server.ThreadingHTTPServer:
    """A server of `site_dir` on 127.0.0.1:`port` (0: any free port), not yet serving."""
    handler = type("Handler", (IsolatedHandler,), {"quiet": quiet})
    return http.server.ThreadingHTTPServer((HOST, port), functools.partial(handler, directory=str(site_dir)))


def serve(site_dir: Path, port: int = DEFAULT_PORT) -> None:
    """Serves `site_dir` until interrupted."""
    with make_server(site_dir, port) as server:
        server.serve_forever()
