"""A folder served over HTTP on 127.0.0.1, as a static host serves the published site: it records
each path asked for, and can cut a file's answer short or stop answering altogether."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class ServedFolder:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.requests: list[str] = []
        self.cut: set[str] = set()  # paths answered with their whole Content-Length but half their bytes
        served = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                served.requests.append(self.path)
                if self.path in served.cut:
                    data = (served.root / self.path.lstrip("/")).read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.close_connection = True
                    return
                super().do_GET()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(self.root)))
        # a short poll: stopping (`shutdown`) waits for the loop's next look
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{path}"

    def asked(self, path: str) -> int:
        """How many times `path` (relative to the folder) was asked for."""
        return self.requests.count("/" + path)

    def stop(self) -> None:
        """Stop answering: the port refuses connections, as when the network is down."""
        self.server.shutdown()
        self.server.server_close()
