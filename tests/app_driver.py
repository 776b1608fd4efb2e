"""Driving the served app in headless Chromium, for tests/test_app_browser.py and bench/app_bench.py:
a real `posezoo serve` in a child process, Chromium with the fake camera, and the steps a visitor
takes (open the app, wait for the Zoo table, choose a model in Try it, wait for its keypoints)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from catalog.app.serve import free_port, url_of
from catalog.measure.browser import CHROMIUM, HEADLESS_FLAGS

ROOT = Path(__file__).resolve().parent.parent
TABLE = '[data-testid="stDataFrame"]'


def camera_args(video: Path) -> list[str]:
    """Chromium's flags for a fake camera showing `video` (a .y4m), allowed without asking."""
    return [
        *HEADLESS_FLAGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


def launch_chromium(playwright: Any, args: list[str]) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


class ServedApp:
    """`posezoo serve --out BUILD` on 127.0.0.1 and a free port, as a user starts it (this
    checkout's code, a fresh interpreter); its output goes to `log`."""

    def __init__(self, build_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = url_of("127.0.0.1", self.port)
        self.log = log
        command = [sys.executable, "-m", "catalog.cli", "serve", "--out", str(build_dir), "--port", str(self.port)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.started = time.perf_counter()
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [*command, "--no-site"], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        self._log.flush()
        return self.log.read_text("utf-8", errors="replace")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def open_when_up(page: Any, url: str, timeout_s: float = 120) -> None:
    """Opens `url` as soon as its server accepts a connection (it may still be starting): the
    browser is not sent at a closed port, whose error pages would take the CPU the server starts on."""
    address = urlparse(url)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection((address.hostname, address.port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)


def wait_for_table(page: Any, timeout_ms: float = 120_000) -> None:
    page.locator(TABLE).first.wait_for(state="visible", timeout=timeout_ms)


def try_frame(page: Any) -> Any | None:
    """The embedded Try-it page, if it is there."""
    return next((frame for frame in page.frames if "/try/index.html" in frame.url), None)


def try_state(page: Any) -> dict | None:
    frame = try_frame(page)
    if frame is None:
        return None
    try:
        return frame.evaluate("window.posezooTry ? JSON.parse(JSON.stringify(window.posezooTry)) : null")
    except Exception:  # the frame is navigating
        return None


def wait_for_keypoints(page: Any, model_id: str, timeout_s: float = 120) -> dict:
    """The Try-it page's state once `model_id` found a person on the camera; an AssertionError
    with the page's message when it fails."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = try_state(page)
        if state and state.get("status") == "error":
            raise AssertionError(f"the Try-it page failed: {state.get('error')}")
        if state and state.get("model") == model_id and state.get("poses"):
            return state
        page.wait_for_timeout(20)  # not time.sleep: Playwright's sync API takes in the page's events only while called
    raise AssertionError(f"no keypoints from {model_id} within {timeout_s} s: {try_state(page)}")


def choose_in_try_page(page: Any, model_id: str) -> None:
    """Chooses `model_id` in the embedded Try-it page's picker and loads it."""
    frame = try_frame(page)
    frame.select_option("#model", model_id)
    frame.click("#load")


TIME_CHOICE = """async (id) => {
  const picker = document.getElementById("model");
  const start = performance.now();
  picker.value = id;
  picker.dispatchEvent(new Event("change"));
  document.getElementById("load").click();
  const s = window.posezooTry;
  await new Promise((resolve) => {
    const done = () => s.status === "error" || (s.model === id && s.frames > 0 && s.poses.length > 0);
    const check = () => (done() ? resolve() : setTimeout(check, 1));
    check();
  });
  return { ms: performance.now() - start, status: s.status, error: s.error, cold: s.cold };
}"""


def time_choice(page: Any, model_id: str) -> dict:
    """Chooses `model_id` in the embedded page's picker and presses Load, timed in the page itself
    (performance.now) up to its first keypoints: what the visitor waits, without the driver's
    round trips to a page that is busy running a model on every frame."""
    timed = try_frame(page).evaluate(TIME_CHOICE, model_id)
    assert timed["status"] != "error", timed["error"]
    return timed
