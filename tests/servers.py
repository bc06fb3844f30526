"""Real servers for tests: ``transformers serve`` on a model folder, and a fault-injecting proxy.

Plain functions and context managers, plus one session fixture (``openai_server``) that
starts a single ``transformers serve`` on the cached default model for the whole test
session. Use it from a test module with ``pytest_plugins = ["servers"]`` (``tests/`` is on
``sys.path`` because it holds the root ``conftest.py``), or from ``tests/conftest.py`` with
``from servers import openai_server  # noqa: F401``.

``transformers serve FOLDER`` pins the server to that model: requests must name it with the
same string as ``model`` (the folder path). It reads nothing from the hub when
``HF_HUB_OFFLINE=1`` (its ``/v1/models`` listing then fails, so readiness is ``/health``).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import pytest

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running OpenAI-compatible server: ``base_url`` ends in ``/v1``; ``model`` is the name to request."""

    base_url: str
    model: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def _transformers_cli() -> list[str]:
    exe = Path(sys.executable).with_name("transformers")
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("transformers")
    if found:
        return [found]
    raise RuntimeError("the `transformers` command is not installed; pip install 'transformers[serving]'")


def wait_healthy(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    """Poll ``url`` until it answers 200; fail early (with the log) if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before becoming healthy:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"server at {url} not healthy after {timeout:.0f}s:\n{log.read_text(errors='replace')[-3000:]}")


@contextmanager
def transformers_server(folder: str | os.PathLike, *, port: int | None = None, startup_timeout: float = 240.0, warm_up: bool = True) -> Iterator[Server]:
    """Run ``transformers serve FOLDER`` on 127.0.0.1 until the block ends.

    ``warm_up`` sends one 1-token request first, so the first real request (and any
    timeout a test sets) does not pay for lazy initialisation."""
    port = port or free_port()
    log_path = Path(tempfile.mkstemp(prefix="transformers-serve-", suffix=".log")[1])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [*_transformers_cli(), "serve", str(folder), "--host", HOST, "--port", str(port), "--log-level", "warning"]
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    server = Server(base_url=f"http://{HOST}:{port}/v1", model=str(folder), process=proc, log_path=log_path)
    try:
        wait_healthy(f"http://{HOST}:{port}/health", proc, startup_timeout, log_path)
        if warm_up:
            body = json.dumps({"model": server.model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
            req = urllib.request.Request(f"{server.base_url}/chat/completions", body.encode(), {"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=120).read()
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log_path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def openai_server(default_folder) -> Iterator[Server]:
    """One ``transformers serve`` on the default model for the whole session (startup ~10 s)."""
    with transformers_server(default_folder) as server:
        yield server


# -- the fault-injecting proxy ---------------------------------------------------------------


@dataclass
class Fault:
    """What the proxy does with one request. Build with the class methods."""

    kind: str  # "forward" | "status" | "drop" | "slow" | "garbage" | "huge"
    status: int = 0
    retry_after: str | None = None
    delay: float = 0.0

    @classmethod
    def forward(cls) -> "Fault":
        return cls("forward")

    @classmethod
    def http(cls, status: int, retry_after: float | str | None = None) -> "Fault":
        return cls("status", status=status, retry_after=None if retry_after is None else str(retry_after))

    @classmethod
    def drop(cls) -> "Fault":
        """Read the request, then close the connection without a response."""
        return cls("drop")

    @classmethod
    def slow(cls, delay: float) -> "Fault":
        """Wait ``delay`` seconds, then forward (the client should have timed out by then)."""
        return cls("slow", delay=delay)

    @classmethod
    def garbage(cls) -> "Fault":
        """Answer 200 with a body that claims to be JSON and is not."""
        return cls("garbage")

    @classmethod
    def huge(cls, chars: int = 2_000_000) -> "Fault":
        """Answer 200 with a well-formed chat completion whose text is ``chars`` long."""
        return cls("huge", delay=chars)


@dataclass
class Seen:
    """One request as the proxy saw it."""

    arrived: float
    fault: str
    authorization: str | None
    body: dict = field(default_factory=dict)


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` that injects scripted faults.

    Each incoming request takes the next :class:`Fault` from the queue (``inject``); with
    the queue empty it is forwarded. ``hold`` delays every forwarded request, so a test can
    see how many the client keeps in flight. Hand-written because it is test scaffolding
    that must fail on cue (no proxy library in the environment scripts faults per request).
    """

    def __init__(self, upstream: str, *, hold: float = 0.0) -> None:
        u = urlparse(upstream)
        self.upstream_host, self.upstream_port = u.hostname, u.port or 80
        self.hold = hold
        self.faults: deque[Fault] = deque()
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((HOST, 0), self._handler())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://{HOST}:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fault-proxy", daemon=True)

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.seen.clear()
            self.max_in_flight = 0

    def start(self) -> "FaultProxy":
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next(self) -> Fault:
        with self._lock:
            return self.faults.popleft() if self.faults else Fault.forward()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                self._send(*self._relay(b""))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = proxy._next()
                try:
                    parsed = json.loads(body or b"{}")
                except ValueError:
                    parsed = {}
                with proxy._lock:
                    proxy.seen.append(Seen(time.monotonic(), fault.kind if fault.kind != "status" else str(fault.status),
                                           self.headers.get("Authorization"), parsed))
                    proxy.in_flight += 1
                    proxy.max_in_flight = max(proxy.max_in_flight, proxy.in_flight)
                try:
                    reply = self._apply(fault, body)
                finally:
                    # Out of flight before the reply is written: once the client has its answer it
                    # may send the next request at once, and that one must not find this one counted.
                    with proxy._lock:
                        proxy.in_flight -= 1
                if reply is not None:
                    self._send(*reply)

            def _apply(self, fault: Fault, body: bytes) -> tuple[int, dict, bytes] | None:
                if fault.kind == "status":
                    payload = json.dumps({"error": {"message": f"injected {fault.status}", "type": "injected"}}).encode()
                    headers = {"Content-Type": "application/json"}
                    if fault.retry_after is not None:
                        headers["Retry-After"] = fault.retry_after
                    return fault.status, headers, payload
                if fault.kind == "garbage":
                    return 200, {"Content-Type": "application/json"}, b'{"id": "x", "choices": [{"mess'
                if fault.kind == "huge":
                    reply = {"id": "huge", "object": "chat.completion", "created": 0, "model": "m",
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": "x" * int(fault.delay)}}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
                    return 200, {"Content-Type": "application/json"}, json.dumps(reply).encode()
                if fault.kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                time.sleep(fault.delay if fault.kind == "slow" else proxy.hold)
                return self._relay(body)

            def _relay(self, body: bytes) -> tuple[int, dict, bytes]:
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=600)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization", "accept")}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                finally:
                    conn.close()
                return resp.status, {"Content-Type": resp.getheader("Content-Type", "application/json")}, data

            def _send(self, status: int, headers: dict, data: bytes) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test): nothing to deliver

        return Handler


@contextmanager
def fault_proxy(upstream: str, *, hold: float = 0.0) -> Iterator[FaultProxy]:
    """A started :class:`FaultProxy` in front of ``upstream`` (e.g. ``Server.base_url``)."""
    proxy = FaultProxy(upstream, hold=hold).start()
    try:
        yield proxy
    finally:
        proxy.close()
