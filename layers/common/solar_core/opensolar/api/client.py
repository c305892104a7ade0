"""The OpenSolar REST client: token auth, one pooled session, explicit timeouts, typed errors (opensolar-api.md).

- A token per container, from the API user in Secrets Manager; on a 401 one new token (the secret read again) and one
  retry, then OpenSolarMisconfigured.
- Every path ends with a slash and redirects are never followed: a POST turned into a GET by a 301 would create
  nothing and look like success.
- urllib3's Retry repeats only what cannot have reached OpenSolar's views (a refused or timed-out connect) and
  idempotent reads; a write that may have been applied is reported as `uncertain` for the caller to look up.
- Answers are read into tolerant models; a body that is not JSON, an HTML error page or a project without an id is an
  error with a reason, never a crash.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

import requests
from pydantic import BaseModel, TypeAdapter, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from solar_core.opensolar.api.answers import message_of, never_connected, read_answer, validation_fields
from solar_core.opensolar.api.bodies import (
    NewProject,
    OpenSolarProject,
    OpenSolarWebhook,
    ProjectFields,
    StageChange,
    TokenAnswer,
    WebhookSettings,
    WebhookSwitch,
)
from solar_core.opensolar.api.credentials import OpenSolarSecret, load_secret
from solar_core.opensolar.api.errors import (
    OpenSolarMisconfigured,
    OpenSolarUnavailable,
)
from solar_core.opensolar.config import IntegrationConfig

T = TypeVar("T")

MAX_PAGE_SIZE = 100  # OpenSolar caps `limit`; asking for more would make a full page look like the last one
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CONNECT_TIMEOUT_CAP_S = 5.0
_PROJECTS = TypeAdapter(list[OpenSolarProject])

SecretSource = Callable[[bool], OpenSolarSecret]
"""`source(refresh)` → the API user's secret; `refresh` after OpenSolar refused the credentials in hand."""


@dataclass(frozen=True)
class Reply(Generic[T]):
    """An answer and the HTTP status it came with (sync logs record it)."""

    value: T
    http_status: int


def new_session() -> requests.Session:
    """One pooled session per container; connection-level retries only where nothing can have been applied."""
    retry = Retry(
        total=3,
        connect=2,
        read=1,  # read errors are retried for allowed_methods only: GET, never a write
        status=0,
        redirect=0,
        other=0,
        allowed_methods=frozenset({"GET"}),
        backoff_factor=0.2,
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=4)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"Accept": "application/json", "User-Agent": "solar-backbone/1.0"})
    return session


class OpenSolarClient:
    """The calls our sync makes; safe to share between threads (the local stack runs several pollers)."""

    def __init__(
        self,
        *,
        base_url: str,
        org_id: int | None,
        timeout_s: float,
        secret: SecretSource,
        session: requests.Session,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._configured_org_id = org_id
        self._timeouts = (min(timeout_s, _CONNECT_TIMEOUT_CAP_S), timeout_s)
        self._secret = secret
        self._session = session
        self._lock = threading.Lock()
        self._token: str | None = None
        self._login_org_id: int | None = None

    # ---------------------------------------------------------------- projects
    def create_project(self, project: NewProject) -> Reply[OpenSolarProject]:
        status, body = self._call("POST", self._projects_path(), body=project)
        return Reply(self._project(body, status, write=True), status)

    def update_project(self, project_id: int, change: ProjectFields | StageChange) -> Reply[OpenSolarProject]:
        status, body = self._call("PATCH", f"{self._projects_path()}{project_id}/", body=change)
        return Reply(self._project(body, status, write=True), status)

    def get_project(self, project_id: int) -> Reply[OpenSolarProject]:
        status, body = self._call("GET", f"{self._projects_path()}{project_id}/")
        return Reply(self._project(body, status, write=False), status)

    def list_projects(
        self, *, page: int = 1, limit: int = MAX_PAGE_SIZE, ordering: str | None = None, identifier: str | None = None
    ) -> Reply[list[OpenSolarProject]]:
        """One page of the bare-array list (pages from 1; a page shorter than `limit` is the last)."""
        params: dict[str, str | int] = {"page": page, "limit": min(limit, MAX_PAGE_SIZE)}
        if ordering:
            params["ordering"] = ordering
        if identifier is not None:
            params["identifier"] = identifier
        status, body = self._call("GET", self._projects_path(), params=params)
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            body = body["results"]  # a paginated envelope, should OpenSolar ever send one
        if not isinstance(body, list):
            raise OpenSolarUnavailable(f"OpenSolar answered the project list with a {type(body).__name__}, not a list.")
        try:
            return Reply(_PROJECTS.validate_python(body), status)
        except ValidationError as exc:
            raise OpenSolarUnavailable(
                f"OpenSolar's project list is unreadable: {validation_fields(exc)}.", http_status=status
            ) from exc

    def walk_newest_modified(
        self, *, stop_before: datetime | None = None, identifier: str | None = None, max_pages: int = 100
    ) -> Iterator[OpenSolarProject]:
        """Projects newest-modified first, page by page, until a page ends older than `stop_before` or the list ends.

        opensolar-api.md: the ordering sign is not reliably documented, so the first page's dates decide; a list
        that comes back in no order at all is walked to its end. `identifier` narrows the list where OpenSolar
        honours the filter; callers still check each project's identifier.
        """
        ordering = "-modified_date"
        page = 1
        while page <= max_pages:
            projects = self.list_projects(page=page, ordering=ordering, identifier=identifier).value
            dates = [project.modified_date for project in projects if project.modified_date is not None]
            if page == 1 and ordering.startswith("-") and _is_ascending(dates):
                ordering = "modified_date"  # this deployment reads the sign the other way round
                continue
            yield from projects
            if len(projects) < MAX_PAGE_SIZE:
                return
            if stop_before is not None and _is_descending(dates) and dates[-1] < stop_before:
                return
            page += 1
        raise OpenSolarUnavailable(f"The project list is longer than {max_pages} pages; the walk stopped short.")

    def find_by_identifier(self, identifier: str, *, changed_since: datetime) -> OpenSolarProject | None:
        """The project whose `identifier` is ours, if one was created or changed since `changed_since`.

        The list filter may be ignored, so every project's identifier is checked here; should two carry it (a
        duplicate made before this lookup existed), the oldest one is the project.
        """
        matches = [
            project
            for project in self.walk_newest_modified(stop_before=changed_since, identifier=identifier)
            if project.identifier == identifier
        ]
        return min(matches, key=lambda project: project.id) if matches else None

    # ---------------------------------------------------------------- webhooks
    def create_webhook(self, settings: WebhookSettings) -> Reply[OpenSolarWebhook]:
        status, body = self._call("POST", f"/api/orgs/{self._org_id()}/webhooks/", body=settings)
        return Reply(self._webhook(body, status), status)

    def update_webhook(self, webhook_id: int, change: WebhookSettings | WebhookSwitch) -> Reply[OpenSolarWebhook]:
        status, body = self._call("PATCH", f"/api/orgs/{self._org_id()}/webhooks/{webhook_id}/", body=change)
        return Reply(self._webhook(body, status), status)

    @staticmethod
    def _webhook(body: Any, status: int) -> OpenSolarWebhook:
        try:
            return OpenSolarWebhook.model_validate(body)
        except ValidationError as exc:
            message = f"OpenSolar's webhook answer is unreadable: {validation_fields(exc)}."
            raise OpenSolarUnavailable(message, http_status=status, uncertain=True) from exc

    # ---------------------------------------------------------------- plumbing
    def _projects_path(self) -> str:
        return f"/api/orgs/{self._org_id()}/projects/"

    def _org_id(self) -> int:
        if self._configured_org_id is not None:
            return self._configured_org_id
        self._current_token()
        if self._login_org_id is None:
            raise OpenSolarMisconfigured("No OpenSolar org_id is configured and the API user's login names none.")
        return self._login_org_id

    def _current_token(self, stale: str | None = None) -> str:
        """The container's token; a new one when there is none or `stale` (refused by OpenSolar) is still current."""
        with self._lock:
            if self._token is None or self._token == stale:
                self._token, self._login_org_id = self._login(refresh=stale is not None)
            return self._token

    def _login(self, *, refresh: bool) -> tuple[str, int | None]:
        secret = self._secret(refresh)
        if not secret.username or not secret.password:
            raise OpenSolarMisconfigured("The OpenSolar secret has no username or password.")
        credentials = {"username": secret.username, "password": secret.password}
        response = self._send("POST", "/api-token-auth/", token=None, json_body=credentials, params=None)
        if response.status_code == 400:
            raise OpenSolarMisconfigured(
                f"OpenSolar refused the API user's credentials: {message_of(response)}", http_status=400
            )
        status, body = read_answer(response, write=False)
        try:
            answer = TokenAnswer.model_validate(body)
        except ValidationError as exc:
            raise OpenSolarUnavailable("OpenSolar's login answer has no token.", http_status=status) from exc
        return answer.token, answer.org_id

    def _call(
        self, method: str, path: str, *, body: BaseModel | None = None, params: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        json_body = body.model_dump(mode="json", exclude_none=True) if body is not None else None
        token = self._current_token()
        response = self._send(method, path, token=token, json_body=json_body, params=params)
        if response.status_code == 401:
            token = self._current_token(stale=token)
            response = self._send(method, path, token=token, json_body=json_body, params=params)
            if response.status_code == 401:
                raise OpenSolarMisconfigured(
                    f"OpenSolar refused a fresh token too (401): {message_of(response)}", http_status=401
                )
        return read_answer(response, write=method in _WRITES)

    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        json_body: Any,
        params: dict[str, Any] | None,
    ) -> requests.Response:
        write = method in _WRITES
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            return self._session.request(
                method,
                self.base_url + path,
                json=json_body,
                params=params,
                headers=headers,
                timeout=self._timeouts,
                allow_redirects=False,
            )
        except requests.ConnectTimeout as exc:
            raise OpenSolarUnavailable(
                f"OpenSolar did not accept a connection within {self._timeouts[0]:g} s."
            ) from exc
        except requests.ReadTimeout as exc:
            raise OpenSolarUnavailable(
                f"OpenSolar did not answer {method} within {self._timeouts[1]:g} s.", uncertain=write
            ) from exc
        except requests.ConnectionError as exc:
            never_sent = never_connected(exc)
            raise OpenSolarUnavailable(
                f"The connection to OpenSolar failed during {method} ({type(exc).__name__}).",
                uncertain=write and not never_sent,
            ) from exc
        except requests.RequestException as exc:
            raise OpenSolarUnavailable(
                f"The call to OpenSolar failed ({type(exc).__name__}).", uncertain=write
            ) from exc

    @staticmethod
    def _project(body: Any, status: int, *, write: bool) -> OpenSolarProject:
        try:
            return OpenSolarProject.model_validate(body)
        except ValidationError as exc:
            raise OpenSolarUnavailable(
                f"OpenSolar's project answer is unreadable: {validation_fields(exc)}.",
                http_status=status,
                uncertain=write,
            ) from exc


def _is_ascending(dates: list[datetime]) -> bool:
    return len(dates) >= 2 and dates[0] < dates[-1]


def _is_descending(dates: list[datetime]) -> bool:
    return bool(dates) and all(earlier >= later for earlier, later in itertools.pairwise(dates))


@cache
def _shared_session() -> requests.Session:
    return new_session()


@cache
def _client(base_url: str, org_id: int | None, timeout_s: float) -> OpenSolarClient:
    return OpenSolarClient(
        base_url=base_url,
        org_id=org_id,
        timeout_s=timeout_s,
        secret=lambda refresh: load_secret(refresh=refresh),
        session=_shared_session(),
    )


def client_for(config: IntegrationConfig) -> OpenSolarClient:
    """The container's client for this config (its token is kept while the base URL, org and timeout stay)."""
    return _client(config.base_url, config.org_id, config.api_timeout_s)
