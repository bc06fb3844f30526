"""A stand-in for the Hugging Face Hub's upload API on 127.0.0.1, for ``distill push`` tests.

The Hub cannot run here (no network), so this serves the four endpoints ``huggingface_hub``'s
``create_repo`` + ``upload_folder`` call — create a repo, validate the card's YAML, pre-upload
(every file answered "regular", so contents travel in the commit itself instead of through LFS/xet),
commit — and keeps what was committed and the headers it saw. The client is the real
huggingface_hub, talking HTTP to it through ``HF_ENDPOINT``.
"""

from __future__ import annotations

import base64
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator


@dataclass
class Hub:
    """What the stand-in saw: repos created, files committed per repo, request headers."""

    endpoint: str = ""
    repos: dict[str, dict] = field(default_factory=dict)  # repo id -> create payload
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # repo id -> path -> content
    commits: list[dict] = field(default_factory=list)  # header of each commit, with its repo id
    headers: list[dict[str, str]] = field(default_factory=list)


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hub.headers.append(dict(self.headers))
            path = self.path.split("?")[0]
            if path == "/api/repos/create":
                body = json.loads(raw)
                repo = f"{body['organization']}/{body['name']}" if body.get("organization") else body["name"]
                if repo in hub.repos:
                    return self.reply(409, {"error": "You already created this model repo"})
                hub.repos[repo] = body
                return self.reply(200, {"url": f"{hub.endpoint}/{repo}"})
            if path == "/api/validate-yaml":
                return self.reply(200, {})
            parts = path.split("/")  # /api/models/<ns>/<name>/<preupload|commit>/<revision>
            if len(parts) == 7 and parts[:3] == ["", "api", "models"]:
                repo, action = f"{parts[3]}/{parts[4]}", parts[5]
                if repo not in hub.repos:
                    return self.reply(404, {"error": "Repository not found"})
                if action == "preupload":
                    files = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                             for f in json.loads(raw)["files"]]
                    return self.reply(200, {"files": files})
                if action == "commit":
                    store = hub.files.setdefault(repo, {})
                    for line in raw.splitlines():
                        item = json.loads(line)
                        if item["key"] == "header":
                            hub.commits.append({**item["value"], "repo": repo})
                        elif item["key"] == "file":
                            store[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                    oid = f"{len(hub.commits):040x}"
                    return self.reply(200, {"commitUrl": f"{hub.endpoint}/{repo}/commit/{oid}", "commitOid": oid})
            self.reply(404, {"error": f"not served here: {path}"})

    return Handler


@contextmanager
def hub_server() -> Iterator[Hub]:
    """Serve the stand-in on a free port of 127.0.0.1 for the block; yields what it records."""
    hub = Hub()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    hub.endpoint = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield hub
    finally:
        httpd.shutdown()
        httpd.server_close()
