"""The local API Gateway: a threaded Werkzeug server that routes, authorizes and invokes the functions."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from local.gateway.authorizer import Authorization, JwtAuthorizer
from local.gateway.http_payload import build_event, gateway_message, to_response
from local.gateway.routes import DEFAULT_STAGE, HttpApiSpec, Route

logger = logging.getLogger("local.http")

# (function ARN, event) → the function's result; raises what the handler raises.
FunctionInvoker = Callable[[str, Any], Any]


def _raw_path(request: Request) -> str:
    """The path as sent (`%2F` stays encoded): API Gateway matches routes and fills rawPath with it."""
    raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or quote(request.path)
    path = str(raw_uri).split("?", 1)[0]
    return urlsplit(path).path if "://" in path else path


class HttpAdapter:
    """WSGI application turning requests into payload-2.0 events for the route's function."""

    def __init__(self, api: HttpApiSpec, invoke: FunctionInvoker, authorizers: dict[str, JwtAuthorizer]) -> None:
        self.api = api
        self._invoke = invoke
        self._authorizers = authorizers

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        started = time.perf_counter()
        response = self.dispatch(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "%s %s → %s (%.0f ms)", request.method, request.full_path.rstrip("?"), response.status_code, elapsed_ms
        )
        return response(environ, start_response)

    def _path_below_stage(self, path: str) -> str:
        """Clients may call `/<stage>/…` as on AWS or `/…` as with `sam local start-api`; both reach the route."""
        prefix = f"/{self.api.stage}"
        if self.api.stage != DEFAULT_STAGE and (path == prefix or path.startswith(prefix + "/")):
            return path[len(prefix) :] or "/"
        return path

    def dispatch(self, request: Request) -> Response:
        """Route, authorize, invoke and convert; API Gateway's own messages for 404/401/403/500."""
        path = self._path_below_stage(_raw_path(request))
        found = self.api.find(request.method, path)
        if found is None:
            return gateway_message(404, "Not Found")
        route, path_parameters = found
        authorization: Authorization | None = None
        if route.authorizer is not None:
            authorizer = self._authorizers.get(route.authorizer)
            headers = {name.lower(): value for name, value in request.headers.items()}
            authorization = authorizer.authorize(headers) if authorizer else None
            if authorization is None:
                return gateway_message(401, "Unauthorized")
            if not authorization.grants(route.scopes):
                return gateway_message(403, "Forbidden")
        event = build_event(
            request,
            path=path,
            route=route,
            path_parameters=path_parameters,
            api_id=self.api.api_id,
            stage=self.api.stage,
            authorization=authorization,
        )
        return self._call(route, event)

    def _call(self, route: Route, event: dict[str, Any]) -> Response:
        try:
            return to_response(self._invoke(route.function_arn, event))
        except Exception:  # API Gateway turns any integration failure into a 500
            logger.exception("%s failed: a 500 is always a bug", route.route_key)
            return gateway_message(500, "Internal Server Error")


class HttpServer:
    """Serves an HttpAdapter on a port (0 = a free one) in a background thread."""

    def __init__(self, adapter: HttpAdapter, host: str = "127.0.0.1", port: int = 3000) -> None:
        self._server: BaseWSGIServer = make_server(host, port, adapter, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="http-adapter", daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL clients call."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Start serving; returns the base URL."""
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop accepting requests and wait for the serving thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
