"""Print the API's OpenAPI document, merged from the Powertools resolvers of the API functions (`make openapi`)."""

from __future__ import annotations

import json
import sys
from typing import Any

from local.aws.template import load_template, resources_of_type
from local.runtime.function_code import FUNCTIONS_DIR, load_function

API_FUNCTIONS = ("catalog_api", "projects_api")
TITLE = "Solar backbone API"
VERSION = "1.0.0"
_ERROR_SCHEMA = {
    "title": "Error",
    "description": "Every 4xx answer (contract.md): a code, a sentence, and for invalid input the fields at fault.",
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "examples": ["invalid_input", "not_found", "conflict"]},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object"}},
    },
}
_GATEWAY_MESSAGE_SCHEMA = {
    "title": "GatewayMessage",
    "description": "API Gateway's own answer (its authorizer's 401, an unknown route's 404): not the contract's error "
    "body, and an HTTP API cannot reshape it.",
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string", "examples": ["Unauthorized"]}},
}
_UNAUTHORIZED = {
    "description": "API Gateway's JWT authorizer refused the token (missing, expired, badly signed, or from another "
    "user pool or app client); the function is not called",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GatewayMessage"}}},
}
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_SECURITY_SCHEMES = {
    "CognitoJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Cognito ID or access token of the staff user pool; admin routes need the group `staff`.",
    }
}


def openapi_document() -> dict[str, Any]:
    """One OpenAPI 3 document for every API function present; a schema name two functions define differently
    is an error rather than a silent overwrite."""
    document: dict[str, Any] = {}
    for name in API_FUNCTIONS:
        if not (FUNCTIONS_DIR / name / "app.py").is_file():
            continue
        schema = load_function(name).app.get_openapi_schema(title=TITLE, version=VERSION)
        part = json.loads(schema.model_dump_json(by_alias=True, exclude_none=True))
        if not document:
            document = part
            continue
        document["paths"].update(part.get("paths", {}))
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for schema_name, definition in part.get("components", {}).get("schemas", {}).items():
            if schemas.setdefault(schema_name, definition) != definition:
                raise ValueError(f"{name} defines schema {schema_name} differently from another API function")
        document["tags"] = _merged_tags(document.get("tags", []), part.get("tags", []))
    _document_contract_errors(document)
    _document_gateway_answers(document, load_template())
    _document_upstream_answers(document)
    document["components"]["securitySchemes"] = _SECURITY_SCHEMES
    document["security"] = [{"CognitoJwt": []}]
    return document


def render() -> str:
    """The document as committed in openapi.json (stable key order, trailing newline)."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def _document_contract_errors(document: dict[str, Any]) -> None:
    """Powertools documents a 422 FastAPI-style validation error; the resolver answers the contract's error body
    (400 for invalid input), so every operation documents that body for its 4xx answers instead."""
    for operation in (op for path in document["paths"].values() for op in path.values()):
        responses = operation["responses"]
        if "HTTPValidationError" in json.dumps(responses.get("422", {})):
            del responses["422"]
        if "204" in responses:
            responses["204"].pop("content", None)  # no content is what 204 means (Powertools documents JSON null)
        responses["4XX"] = {
            "description": "Refused: the contract's error body",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas["Error"] = _ERROR_SCHEMA


def _route_authorizers(template: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    """(method, path without its trailing slash) → the authorizer API Gateway runs on that route, None for none:
    the event's `Auth.Authorizer` (NONE opts out), else its HTTP API's `DefaultAuthorizer`."""
    defaults = {
        logical_id: api["Properties"].get("Auth", {}).get("DefaultAuthorizer")
        for logical_id, api in resources_of_type(template, "AWS::Serverless::HttpApi").items()
    }
    found: dict[tuple[str, str], str | None] = {}
    for function in resources_of_type(template, "AWS::Serverless::Function").values():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] != "HttpApi":
                continue
            route = event["Properties"]
            api_ref = route.get("ApiId", {})
            default = defaults.get(api_ref.get("Ref", "")) if isinstance(api_ref, dict) else None
            authorizer = route.get("Auth", {}).get("Authorizer", default)
            found[(route["Method"].lower(), route["Path"].rstrip("/") or "/")] = (
                None if authorizer == "NONE" else authorizer
            )
    return found


def _document_gateway_answers(document: dict[str, Any], template: dict[str, Any]) -> None:
    """A route behind the JWT authorizer may get API Gateway's own 401 (`{"message": "Unauthorized"}`) before any
    function runs; a route without one needs no token."""
    authorizers = _route_authorizers(template)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if authorizers.get((method, path.rstrip("/") or "/")) is None:
                operation["security"] = []
            else:
                operation["responses"]["401"] = _UNAUTHORIZED
    document["components"]["schemas"]["GatewayMessage"] = _GATEWAY_MESSAGE_SCHEMA


def _document_upstream_answers(document: dict[str, Any]) -> None:
    """A route marked `x-calls-upstream` (solar_core.adapters.http.CALLS_OPENSOLAR) answers 503 with the contract's
    error body when that service is unavailable, throttles us or times out."""
    for operation in (op for path in document["paths"].values() for op in path.values()):
        upstream = operation.get("x-calls-upstream")
        if upstream:
            operation["responses"]["503"] = {
                "description": f"{upstream} is unavailable, throttles us or timed out: try again later",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            operation["responses"]["502"] = {
                "description": f"{upstream} refused us (its credentials, permissions or organisation): fix the "
                "integration's settings or the secret",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }


def _merged_tags(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({tag["name"]: tag for tag in [*first, *second]}.values())


if __name__ == "__main__":
    sys.stdout.write(render())
