"""Helpers for the contract tests: the org's constants, a thin requests wrapper and a local webhook receiver."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

ORG_ID = 1001
USERNAME = "api@example.com"
PASSWORD = "secret-pw"  # noqa: S105 - a test fixture, not a secret
PROJECTS = f"/api/orgs/{ORG_ID}/projects/"
WEBHOOKS = f"/api/orgs/{ORG_ID}/webhooks/"
PROCESS_LOGS = f"/api/orgs/{ORG_ID}/webhook_process_logs/"
SECRET_HEADER = "X-OpenSolar-Secret"  # noqa: S105 - a test fixture, not a secret
STAGE_FIELDS = [
    "project.identifier",
    "project.stage",
    "project.workflow",
    "project.contract_date",
    "project.sold_date",
    "project.installation_date",
    "project.project_installed",
]


def project_path(project_id: int) -> str:
    return f"{PROJECTS}{project_id}/"


@dataclass
class Api:
    """requests against the fake: `api.get("/path/")`; `api.token` is sent as a Bearer token when set."""

    base_url: str
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST a control route (no auth) and return its JSON answer."""
        response = requests.post(f"{self.base_url}/_control/{path}", json=body or {}, timeout=10)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def log_in(self, username: str = USERNAME, password: str = PASSWORD) -> str:
        response = requests.post(
            f"{self.base_url}/api-token-auth/", json={"username": username, "password": password}, timeout=5
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["token"]
        return self.token

    def create_project(self, **fields: Any) -> dict[str, Any]:
        body = {"address": "1 Main Rd", "locality": "Harare", "country_iso2": "ZW", **fields}
        response = self.post(PROJECTS, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class WebhookReceiver:
    """A tiny HTTP endpoint on 127.0.0.1 that records what it is sent and answers with scripted status codes."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._answers: deque[int] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), json.loads(raw)))
                    status = receiver._answers.popleft() if receiver._answers else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/opensolar/webhook/"

    def answer_next_with(self, *statuses: int) -> None:
        with self._lock:
            self._answers.extend(statuses)

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [item.body for item in self.received]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def register_webhook(
    api: Api, endpoint: str, *, trigger_fields: list[str] | None = None, payload_fields: list[str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "endpoint": endpoint,
        "enabled": True,
        "debug": False,
        "headers": json.dumps({SECRET_HEADER: "s3cret"}),
        "trigger_fields": trigger_fields if trigger_fields is not None else STAGE_FIELDS,
        "payload_fields": payload_fields if payload_fields is not None else ["project.id", *STAGE_FIELDS],
    }
    response = api.post(WEBHOOKS, json=body)
    assert response.status_code == 201, response.text
    hook: dict[str, Any] = response.json()
    return hook
