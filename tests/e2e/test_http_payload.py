"""The adapter's payload-2.0 events and response handling, checked in-process against Powertools' own parser."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from werkzeug.test import Client

from local.gateway.authorizer import Authorization
from local.gateway.http_adapter import HttpAdapter
from local.gateway.routes import HttpApiSpec, Route

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:probe"
CLAIMS = {"sub": "u-1", "cognito:groups": "[staff]", "token_use": "id"}


class AcceptingAuthorizer:
    """Stands in for the JWT authorizer: accepts any bearer token."""

    def authorize(self, headers: dict[str, str]) -> Authorization | None:
        return Authorization(CLAIMS, None) if headers.get("authorization") else None


class Recorder:
    """Stands in for the function: records the event and answers what the test asks."""

    def __init__(self, answer: Any = None, error: Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self._answer = answer
        self._error = error

    def __call__(self, function_arn: str, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if self._error:
            raise self._error
        return self._answer


def adapter(recorder: Recorder, *routes: Route) -> Client:
    api = HttpApiSpec("HttpApi", "a1b2c3d4e5", "dev")
    api.routes = sorted(routes, key=lambda route: route.specificity())
    return Client(HttpAdapter(api, recorder, {"Jwt": AcceptingAuthorizer()}), use_cookies=False)  # type: ignore[dict-item]


def route(method: str, path: str, authorizer: str | None = "Jwt") -> Route:
    return Route(method, path, FUNCTION_ARN, authorizer)


def test_the_event_is_api_gateways_payload_2_and_powertools_resolves_it() -> None:
    # given a route with a path parameter behind the authorizer
    recorder = Recorder({"statusCode": 200, "body": "{}"})
    client = adapter(recorder, route("POST", "/products/{id}/notes"))
    # when a request with repeated query parameters, cookies and a JSON body arrives
    client.post(
        "/products/INV%2F5/notes?tag=a&tag=b&empty=",
        json={"text": "hello"},
        headers={"Authorization": "Bearer t", "Cookie": "a=1; b=2", "X-Custom": "yes"},
    )
    # then the event carries what API Gateway would send
    event = recorder.events[0]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /products/{id}/notes"
    assert event["rawPath"] == "/dev/products/INV%2F5/notes"
    assert event["rawQueryString"] == "tag=a&tag=b&empty="
    assert event["queryStringParameters"] == {"tag": "a,b", "empty": ""}
    assert event["pathParameters"] == {"id": "INV/5"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-custom"] == "yes"
    assert "cookie" not in event["headers"]
    assert json.loads(event["body"]) == {"text": "hello"}
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["authorizer"] == {"jwt": {"claims": CLAIMS, "scopes": None}}
    assert context["http"]["method"] == "POST"
    assert context["stage"] == "dev"
    assert {"accountId", "apiId", "domainName", "requestId", "time", "timeEpoch"} <= set(context)
    # and Powertools reads it as a v2 event and routes it below the stage
    parsed = APIGatewayProxyEventV2(event)
    assert parsed.path == "/products/INV%2F5/notes"
    assert parsed.request_context.authorizer.jwt_claim["cognito:groups"] == "[staff]"
    resolver = APIGatewayHttpResolver()
    resolver.post("/products/<id>/notes")(lambda id: {"id": id})
    assert resolver.resolve(event, None)["statusCode"] == 200


def test_a_binary_body_is_base64_encoded() -> None:
    recorder = Recorder({"statusCode": 204})
    client = adapter(recorder, route("PUT", "/files/{name}", authorizer=None))
    client.put("/files/x", data=b"\x89PNG\x00\x01", headers={"Content-Type": "image/png"})
    assert recorder.events[0]["isBase64Encoded"] is True
    assert base64.b64decode(recorder.events[0]["body"]) == b"\x89PNG\x00\x01"


def test_an_open_route_gets_no_authorizer_context_and_a_protected_one_needs_a_token() -> None:
    recorder = Recorder({"statusCode": 200, "body": "ok"})
    client = adapter(recorder, route("POST", "/webhook", authorizer=None), route("GET", "/private"))
    assert client.post("/webhook", data="{}").status_code == 200
    assert "authorizer" not in recorder.events[0]["requestContext"]
    refused = client.get("/private")
    assert (refused.status_code, refused.json) == (401, {"message": "Unauthorized"})


def test_the_most_specific_route_wins() -> None:
    recorder = Recorder({"statusCode": 200})
    client = adapter(
        recorder,
        route("GET", "/items/{proxy+}"),
        route("ANY", "/items/special"),
        route("GET", "/items/{id}"),
        route("GET", "/items/special"),
    )
    for path in ("/items/special", "/items/42", "/items/a/b"):
        client.get(path, headers={"Authorization": "Bearer t"})
    assert [e["routeKey"] for e in recorder.events] == ["GET /items/special", "GET /items/{id}", "GET /items/{proxy+}"]
    assert recorder.events[2]["pathParameters"] == {"proxy": "a/b"}


def test_the_functions_answer_becomes_the_response() -> None:
    answer = {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-Id": "7"},
        "cookies": ["session=abc; HttpOnly"],
        "body": base64.b64encode(b"created").decode(),
        "isBase64Encoded": True,
    }
    response = adapter(Recorder(answer), route("POST", "/things", authorizer=None)).post("/things")
    assert response.status_code == 201
    assert response.data == b"created"
    assert response.headers["X-Id"] == "7"
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers.getlist("Set-Cookie") == ["session=abc; HttpOnly"]


def test_a_bare_answer_is_a_200_json_body() -> None:
    response = adapter(Recorder({"ok": True}), route("GET", "/bare", authorizer=None)).get("/bare")
    assert (response.status_code, response.json) == (200, {"ok": True})
    assert response.headers["Content-Type"] == "application/json"


def test_a_handler_exception_is_api_gateways_500() -> None:
    client = adapter(Recorder(error=RuntimeError("bug")), route("GET", "/boom", authorizer=None))
    response = client.get("/boom")
    assert (response.status_code, response.json) == (500, {"message": "Internal Server Error"})
