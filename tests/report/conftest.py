"""A headless Chromium that loads a page and reports what a person's browser would have shown.

Chromium is started with ``--remote-debugging-port=0``; the test speaks the DevTools protocol
over its websocket (package ``websocket-client``): it enables ``Runtime``, ``Log``, ``Page``
and ``Network`` on a fresh tab, navigates to the page, waits for the load event, and keeps
every console error, uncaught exception, error log entry and network request. Scripts can
then be evaluated in the page (to measure the SVG plots, to click).

Without Chromium the browser tests are skipped with the way to install it, except under CI
(``CI`` set), where they fail: CI must not pass without having looked at the page.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

INSTALL_HINT = (
    "headless Chromium is needed to test report.html: install it with "
    "`apt-get install -y chromium` (Debian package `chromium`; .ci/run does this), "
    "and the Python package websocket-client (`pip install -e .[test]`)"
)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-sync",
    "--disable-component-update",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)
TIMEOUT = 60.0  # seconds to wait for the browser to answer: generous, never asserted on


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{reason}; {INSTALL_HINT}")


@dataclass
class PageLoad:
    """What happened while a page loaded, and a way to run scripts in it afterwards."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    browser: Browser | None = None
    session: str = ""

    @property
    def problems(self) -> list[str]:
        return self.console_errors + self.exceptions + self.log_errors

    def evaluate(self, expression: str) -> Any:
        """The JSON value of ``expression`` evaluated in the page."""
        assert self.browser is not None
        reply = self.browser.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
            page=self,
        )
        result = reply["result"]
        if "exceptionDetails" in result:
            raise AssertionError(f"script failed in the page: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """Save the whole page (not just the window) as a PNG at ``path``."""
        assert self.browser is not None
        reply = self.browser.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True},
            session=self.session,
            page=self,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(reply["result"]["data"]))
        return path


class Browser:
    """One headless Chromium process and its DevTools websocket."""

    def __init__(self, executable: str) -> None:
        import websocket

        self._profile = tempfile.mkdtemp(prefix="rwasim-chromium-")
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []

        def drain() -> None:  # keep reading so the pipe never fills and blocks the browser
            assert self.process.stderr is not None
            for line in self.process.stderr:
                self.stderr.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        url = None
        while url is None:
            try:
                line = lines.get(timeout=TIMEOUT)
            except queue.Empty:
                self.close()
                raise RuntimeError("chromium did not print its DevTools address") from None
            if line is None:
                self.close()
                raise RuntimeError("chromium exited before it was ready:\n" + "".join(self.stderr[-20:]))
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                url = match.group(1)
        self.ws = websocket.create_connection(url, timeout=TIMEOUT, suppress_origin=True)
        self._next_id = 0
        self._pages: dict[str, PageLoad] = {}

    def call(
        self, method: str, params: dict | None = None, *, session: str | None = None, page: PageLoad | None = None
    ) -> dict[str, Any]:
        """Send one DevTools command and wait for its answer, filing events that arrive meanwhile."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"DevTools {method} failed: {reply['error']}")
                return reply
            self._file(reply)

    def _file(self, event: dict[str, Any]) -> str | None:
        page = self._pages.get(event.get("sessionId", ""))
        method, params = event.get("method"), event.get("params", {})
        if page is None:
            return method
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            page.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            page.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            page.log_errors.append(f"{params['entry'].get('source')}: {params['entry'].get('text')}")
        elif method == "Network.requestWillBeSent":
            page.requests.append(params["request"]["url"])
        return method

    def load(self, path: Path) -> PageLoad:
        """Open ``path`` in a new tab, with error and network capture on before it starts loading."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["result"]["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["result"]["sessionId"]
        page = PageLoad(Path(path).resolve().as_uri(), browser=self, session=session)
        self._pages[session] = page
        for domain in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            self.call(domain, session=session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.call("Page.navigate", {"url": page.url}, session=session)
        while True:
            event = json.loads(self.ws.recv())
            if self._file(event) == "Page.loadEventFired" and event.get("sessionId") == session:
                break
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # layout done
        return page

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            shutil.rmtree(self._profile, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where browser tests leave screenshots for a reviewer: ``$RWASIM_TEST_ARTIFACTS``, or
    ``test-artifacts/`` at the repository's root (ignored by git)."""
    given = os.environ.get("RWASIM_TEST_ARTIFACTS")
    return Path(given) if given else Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for this module's tests (skipped, or failed under CI, if it is missing)."""
    executable = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if executable is None:
        _missing("chromium is not installed")
    if importlib.util.find_spec("websocket") is None:
        _missing("the Python package websocket-client is not installed")
    instance = Browser(executable)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def flagship(tmp_path_factory):
    """The flagship run, as ``rwasim run cross_border_note`` makes it (seed 0)."""
    from rwasim.runner import run_scenario

    return run_scenario("cross_border_note", seed=0, out_dir=tmp_path_factory.mktemp("flagship"))
