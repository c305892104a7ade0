"""The committed openapi.json is what the API functions' resolvers generate today."""

from __future__ import annotations

import json

from local.aws.template import ROOT
from local.tools.openapi import render


def test_the_committed_openapi_document_is_current() -> None:
    # given the committed document
    committed = (ROOT / "openapi.json").read_text()
    # when the resolvers generate it again
    generated = render()
    # then nothing changed
    assert generated == committed, "openapi.json is stale: run `make openapi` and commit the result."


def test_the_document_covers_every_catalog_route_and_documents_the_error_body() -> None:
    document = json.loads(render())

    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert {
        ("PUT", "/products/{id}"),
        ("GET", "/products/{id}"),
        ("PUT", "/packages/{id}"),
        ("GET", "/packages/{id}"),
        ("POST", "/products/compatibility/rules"),
        ("GET", "/products/compatibility/rules"),
        ("DELETE", "/products/compatibility/rules/{rule_id}"),
        ("POST", "/warranty-rules"),
        ("GET", "/warranty-rules"),
        ("POST", "/products/compatibility/check-products"),
        ("POST", "/products/compatibility/validate-package"),
        ("PUT", "/orders/{id}"),
        ("GET", "/orders/{id}"),
    } <= operations
    assert document["components"]["schemas"]["Error"]["required"] == ["error", "message"]
    assert "HTTPValidationError" not in json.dumps(document)


def test_every_route_behind_the_authorizer_documents_api_gateways_own_401_body() -> None:
    document = json.loads(render())

    unauthorized = {
        f"{method.upper()} {path}": operation["responses"].get("401")
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }

    assert unauthorized
    refs = {answer["content"]["application/json"]["schema"]["$ref"] for answer in unauthorized.values() if answer}
    assert refs == {"#/components/schemas/GatewayMessage"}
    assert [route for route, answer in unauthorized.items() if answer is None] == []
    assert document["components"]["schemas"]["GatewayMessage"]["required"] == ["message"]


def test_the_routes_that_call_opensolar_document_their_503_and_the_others_do_not() -> None:
    document = json.loads(render())

    with_503 = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "503" in operation["responses"]
    }

    assert with_503 == {
        "GET /opensolar/projects/{id}/status",
        "PUT /opensolar/webhook-registration",
        "DELETE /opensolar/webhook-registration",
    }
