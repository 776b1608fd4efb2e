"""`posezoo serve`'s machinery: `streamlit run` of the staged app (see static.py) in this process,
bound to one address, the docs site beside it when it is built, and a line once the app answers.
The command (catalog/cli.py) builds the catalog first where there is none."""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog.app.environment import BUILD_ENV, SITE_ENV

HOST = "127.0.0.1"
DEFAULT_PORT = 8501  # Streamlit's
DEFAULT_SITE_PORT = 8000  # `posezoo preview`'s
HEALTH = "_stcore/health"
START_TIMEOUT_S = 60


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def free_port(host: str = HOST) -> int:
    """A port nothing listens on now (port 0 is Streamlit's default, not "any")."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def streamlit_options(host: str, port: int) -> list[str]:
    return [
        f"--server.address={host}",
        f"--server.port={port}",
        "--server.headless=true",
        "--server.enableStaticServing=true",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--client.showErrorDetails=none",
        "--client.toolbarMode=viewer",
    ]


def wait_until_ready(url: str, timeout_s: float = START_TIMEOUT_S) -> bool:
    """Whether the app answers its health check before `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + HEALTH, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.05)
    return False


@contextmanager
def site_server(site_dir: Path, port: int) -> Iterator[str | None]:
    """The built docs site on 127.0.0.1, cross-origin isolated (`posezoo preview`'s server) for as
    long as the block runs; its URL, or None where there is no site. A busy port: any free one."""
    from catalog.publish.preview import make_server

    if not (site_dir / "index.html").is_file():
        yield None
        return
    try:
        server = make_server(site_dir, port, quiet=True)
    except OSError:
        server = make_server(site_dir, 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url_of(HOST, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def warm_up(build_dir: Path) -> None:
    """Imports what the app's first run needs and reads the catalog into the app's cache, so that
    the first visitor waits for neither; a catalog that cannot be read is left for the page to say."""
    import catalog.app.charts_page  # noqa: F401
    import catalog.app.compare_page  # noqa: F401
    import catalog.app.model_page  # noqa: F401
    import catalog.app.try_page  # noqa: F401
    import catalog.app.zoo_page  # noqa: F401
    from catalog.app.data import zoo_or_problem

    zoo_or_problem(build_dir)


def run(script: Path, build_dir: Path, host: str, port: int, site_url: str | None, ready: Callable[[], None]) -> None:
    """`streamlit run script` in this process until it stops (Ctrl-C, or a TERM); `ready` is called
    once the app answers. The app reads the build folder and the site's address from the environment."""
    from streamlit.web import cli

    os.environ[BUILD_ENV] = str(Path(build_dir).resolve())
    os.environ.pop(SITE_ENV, None)
    if site_url:
        os.environ[SITE_ENV] = site_url
    address = url_of(host, port)

    def when_ready() -> None:
        if wait_until_ready(address):
            ready()
            # while the first visitor's browser loads Streamlit's page: any sooner slows the server's start
            warm_up(Path(build_dir))

    threading.Thread(target=when_ready, daemon=True).start()
    cli.main(args=["run", str(script), *streamlit_options(host, port)], prog_name="streamlit", standalone_mode=False)
