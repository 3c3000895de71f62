"""A real headless Chromium driven over the DevTools protocol (--remote-debugging-pipe).

One browser per test module; :meth:`Browser.load` opens a file in a fresh tab
and records every network request the page makes and every CSP violation, so
a test can prove that a page fetched nothing. No third-party package needed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]
# NOTE: installed before the page's own scripts run, and not subject to its CSP
WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => "
    "window.__csp.push(e.blockedURI + ' ' + e.violatedDirective));"
)
LOCAL = ("file:", "data:", "about:", "chrome:", "devtools:")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Page:
    """What one load of a page showed: its requests, CSP violations, a session."""

    browser: Browser
    session: str
    requests: list[str] = field(default_factory=list)

    def eval(self, expression: str) -> Any:
        reply = self.browser.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True},
            self.session,
        )
        return reply["result"].get("value")

    @property
    def fetched(self) -> list[str]:
        """Every request for something not in the file itself."""
        return [u for u in self.requests if not u.startswith(LOCAL)]

    @property
    def violations(self) -> list[str]:
        return list(self.eval("window.__csp") or [])

    def screenshot(self, out: Path, width: int = 1280) -> None:
        self.eval("window.scrollTo(0, 0)")
        height = 600  # NOTE: a short viewport first, so the page sets the height
        for _ in range(2):
            metrics = {"width": width, "height": height, "deviceScaleFactor": 1}
            self.browser.call(
                "Emulation.setDeviceMetricsOverride",
                {**metrics, "mobile": False},
                self.session,
            )
            height = int(self.eval("document.documentElement.scrollHeight"))
        shot = self.browser.call(
            "Page.captureScreenshot", {"format": "png"}, self.session
        )
        out.write_bytes(base64.b64decode(shot["data"]))


class Browser:
    """A headless Chromium child process and its DevTools pipe (fds 3 and 4)."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="vaultctl-chromium-")
        to_child_r, self._out = os.pipe()
        self._in, from_child_w = os.pipe()

        def fds() -> None:
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=fds,  # noqa: PLW1509 - the pipe must be on fds 3 and 4
            pass_fds=(3, 4),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            self.call("Browser.close", {})
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._out)
        os.close(self._in)
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buf:
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self, method: str, params: dict[str, Any], session: str | None = None
    ) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def _wait(self, session: str, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e.get("sessionId") == session and e.get("method") == method:
                    del self.events[i]
                    return
            self.events.append(self._read())
        raise TimeoutError(method)

    def load(self, path: Path) -> Page:
        """Open ``path`` in a new tab; return once it has loaded."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable", {}, session)
        self.call("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH}, session)
        page = Page(self, session)
        self.events.clear()
        self.call("Page.navigate", {"url": path.resolve().as_uri()}, session)
        self._wait(session, "Page.loadEventFired")
        time.sleep(0.2)  # NOTE: let late requests (images, fonts) show up
        self.call("Runtime.evaluate", {"expression": "1"}, session)
        page.requests = [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("sessionId") == session
            and e.get("method") == "Network.requestWillBeSent"
        ]
        return page
