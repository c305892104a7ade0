"""API Gateway HTTP API payload format 2.0: a request becomes the event, the function's answer a response."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from local.aws.moto_server import ACCOUNT_ID
from local.gateway.authorizer import Authorization
from local.gateway.routes import DEFAULT_STAGE, Route

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "application/yaml")


def is_text(content_type: str) -> bool:
    """API Gateway passes text-like bodies as they are and base64-encodes everything else."""
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    return media_type.startswith(_TEXT_TYPES) or media_type.endswith(("+json", "+xml"))


def _headers(request: Request) -> dict[str, str]:
    merged: dict[str, list[str]] = defaultdict(list)
    for name, value in request.headers.items():
        if name.lower() != "cookie":
            merged[name.lower()].append(value)
    headers = {name: ",".join(values) for name, values in merged.items()}
    headers.setdefault("x-forwarded-for", request.remote_addr or "127.0.0.1")
    headers.setdefault("x-forwarded-proto", request.scheme)
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")
    return headers


def _query_parameters(raw_query: str) -> dict[str, str]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        grouped[name].append(value)
    return {name: ",".join(values) for name, values in grouped.items()}


def _cookies(request: Request) -> list[str]:
    header = request.headers.get("Cookie", "")
    return [cookie.strip() for cookie in header.split(";") if cookie.strip()]


def _body(request: Request) -> tuple[str | None, bool]:
    raw = request.get_data(cache=True)
    if not raw:
        return None, False
    content_type = request.headers.get("Content-Type", "")
    if not content_type or is_text(content_type):
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(raw).decode("ascii"), True


def build_event(
    request: Request,
    *,
    path: str,
    route: Route,
    path_parameters: dict[str, str],
    api_id: str,
    stage: str,
    authorization: Authorization | None,
) -> dict[str, Any]:
    """The event API Gateway would send for `request` (to `path` below the stage) on `route`."""
    now = datetime.now(UTC)
    raw_path = path if stage == DEFAULT_STAGE else f"/{stage}{path}"
    host = request.host or "localhost"
    raw_query = request.query_string.decode("latin-1")
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": host.split(".")[0].split(":")[0],
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": request.remote_addr or "127.0.0.1",
            "userAgent": request.headers.get("User-Agent", ""),
        },
        "requestId": base64.b32encode(uuid.uuid4().bytes)[:16].decode().rstrip("="),
        "routeKey": route.route_key,
        "stage": stage,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if authorization is not None:
        context["authorizer"] = {"jwt": {"claims": authorization.claims, "scopes": authorization.scopes}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": _headers(request),
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if cookies := _cookies(request):
        event["cookies"] = cookies
    if query := _query_parameters(raw_query):
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    body, encoded = _body(request)
    if body is not None:
        event["body"] = body
        event["isBase64Encoded"] = encoded
    return event


def gateway_message(status: int, message: str) -> Response:
    """API Gateway's own answers: `{"message": "Not Found"}` and the like."""
    return Response(json.dumps({"message": message}), status=status, content_type="application/json")


def to_response(result: Any) -> Response:
    """The function's v2 answer as HTTP; a bare value is a 200 JSON body, as API Gateway assumes."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return Response(json.dumps(result), status=200, content_type="application/json")
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    response = Response(payload, status=int(result["statusCode"]))
    response.headers.remove("Content-Type")
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(name, str(value))
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    return response
