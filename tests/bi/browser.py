"""A headless Chromium driven over the DevTools protocol, with nothing but the standard library.

Chromium's ``--remote-debugging-pipe`` reads protocol commands from file descriptor 3 and
writes answers and events to descriptor 4, each a JSON message ended by a NUL byte: no
websocket, no extra package, no browser download (Debian's chromium, see
``scripts/ensure-chromium.sh``). Enough of the protocol for the BI test: open a page, run
JavaScript in it, wait for a condition, take a screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

from fangpin.report.pdf import find_chromium  # one way to find the browser

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--lang=zh-CN",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    """Chromium did not start, answered with an error, or a wait ran out."""


class Browser:
    """One Chromium process and one page (tab) in it."""

    def __init__(self, profile: Path, width: int = 1600, height: int = 1200) -> None:
        binary = find_chromium()
        if binary is None:
            raise BrowserError("chromium is not installed (bash scripts/ensure-chromium.sh)")
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()

        def wire() -> None:  # in the child: the pipes on the descriptors chromium expects
            # Copies first: a pipe may already sit on 3 or 4, and dup2 onto itself would
            # leave it close-on-exec.
            reading, writing = os.dup(to_child), os.dup(from_child)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"],
            preexec_fn=wire, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self.session = ""
        #: Console errors and uncaught exceptions of the page, for failure messages.
        self.errors: list[str] = []
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"}, browser=True)
            attached = self.call("Target.attachToTarget",
                                 {"targetId": target["targetId"], "flatten": True}, browser=True)
        except BrowserError:
            self.close()
            raise
        self.session = attached["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    # -- protocol ------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None, browser: bool = False,
             timeout: float = 60) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if not browser:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode("utf-8") + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            self._note(answer)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))

    def _note(self, event: dict[str, Any]) -> None:
        method = event.get("method")
        if method == "Runtime.exceptionThrown":
            details = event["params"]["exceptionDetails"]
            self.errors.append(str(details.get("exception", {}).get("description", details))[:500])
        elif method == "Runtime.consoleAPICalled" and event["params"].get("type") == "error":
            args = event["params"].get("args", [])
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            self.errors.append(text[:500])

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("chromium did not answer in time")
            ready, _, _ = select.select([self._in], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raw = self.proc.stderr.read() if self.proc.stderr else b""
                stderr = raw.decode(errors="replace")
                raise BrowserError(f"chromium closed the pipe: {stderr[-2000:]}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    # -- pages ---------------------------------------------------------------------------
    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 90, what: str = "") -> Any:
        """Poll ``expression`` until it is truthy; its value, or ``BrowserError`` naming it."""
        deadline = time.monotonic() + timeout
        value: Any = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except BrowserError:
                value = None  # the page is navigating; try again
            if value:
                return value
            time.sleep(0.5)
        raise BrowserError(f"waited {timeout:.0f} s for {what or expression[:80]}")

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": min(size["height"], 6000), "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.call("Browser.close", browser=True, timeout=5)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
