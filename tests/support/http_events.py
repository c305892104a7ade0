"""API Gateway HTTP API (payload 2.0) events as the JWT-authorised API sends them, and a Lambda context."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

API_ID = "a1b2c3d4e5"
STAGE = "dev"
REGION = "us-east-1"
USER_POOL_ID = f"{REGION}_Ab12Cd34E"
STAFF = ("staff",)


def http_event(
    method: str,
    route: str,
    path_parameters: dict[str, str] | None = None,
    *,
    body: Any = None,
    raw_body: str | None = None,
    content_type: str | None = "application/json",
    query: dict[str, str] | None = None,
    groups: tuple[str, ...] | None = STAFF,
) -> dict[str, Any]:
    """The event for `method route` (route as in the template, e.g. "/products/{id}"), body given as JSON data
    or as `raw_body` text; `groups` are the caller's Cognito groups (None: a machine client without groups)."""
    path_parameters = path_parameters or {}
    raw_path = route.format_map(path_parameters)
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    headers = {
        "accept": "application/json",
        "authorization": "Bearer eyJraWQiOiJkdW1teSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl",
        "host": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "user-agent": "solar-crm/2.4 python-requests/2.32",
        "x-amzn-trace-id": f"Root=1-6744a5c0-{uuid.uuid4().hex[:24]}",
        "x-forwarded-for": "196.27.118.40",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if text is not None:
        headers["content-length"] = str(len(text.encode()))
        if content_type:
            headers["content-type"] = content_type
    request_id = base64.b32encode(uuid.uuid4().bytes).decode()[:16]
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": f"/{STAGE}{raw_path}",
        "rawQueryString": "&".join(f"{name}={value}" for name, value in (query or {}).items()),
        "headers": headers,
        **({"queryStringParameters": query} if query else {}),
        **({"pathParameters": path_parameters} if path_parameters else {}),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "authorizer": {"jwt": {"claims": _claims(groups), "scopes": None}},
            "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": f"/{STAGE}{raw_path}",
                "protocol": "HTTP/1.1",
                "sourceIp": "196.27.118.40",
                "userAgent": headers["user-agent"],
            },
            "requestId": request_id,
            "routeKey": f"{method} {route}",
            "stage": STAGE,
            "time": "25/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795600800000,
        },
        **({"body": text} if text is not None else {}),
        "isBase64Encoded": False,
    }


def _claims(groups: tuple[str, ...] | None) -> dict[str, str]:
    claims = {
        "sub": "7d5e2b9a-3c41-4f0e-9b8a-1c2d3e4f5a6b",
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}",
        "client_id": "3n4b5urk1ft4fl3mg5e62d9ado",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": "1795600700",
        "iat": "1795600700",
        "exp": "1795604300",
        "username": "7d5e2b9a-3c41-4f0e-9b8a-1c2d3e4f5a6b",
    }
    if groups is not None:
        claims["cognito:groups"] = f"[{' '.join(groups)}]"  # how API Gateway flattens the claim's list
    return claims


@dataclass
class LambdaContext:
    """The attributes Powertools reads from the runtime's context object."""

    function_name: str = "solar-backbone-dev-CatalogApiFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:solar-backbone-dev-CatalogApiFunction"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


@dataclass(frozen=True)
class Answer:
    """What the caller of the HTTP API sees: the status and the JSON body (None when empty)."""

    status: int
    body: Any
    headers: dict[str, str]


def invoke(handler: Any, event: dict[str, Any]) -> Answer:
    """Run a Lambda handler on an HTTP API event as the runtime would, and read its answer."""
    response = handler(event, LambdaContext())
    body = response.get("body")
    return Answer(
        status=int(response["statusCode"]), body=json.loads(body) if body else None, headers=response["headers"]
    )
