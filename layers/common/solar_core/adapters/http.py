"""The HTTP edge shared by every API function: routing, body checks, auth roles and the one error mapping."""

from __future__ import annotations

import json
import math
from http import HTTPStatus
from re import Match
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.types import EventHandlerInstance
from pydantic import ValidationError

from solar_core import errors
from solar_core.settings import get_settings

logger = Logger(child=True)

STAFF_GROUP = "staff"

_STATUS: dict[type[errors.DomainError], HTTPStatus] = {
    errors.InvalidInput: HTTPStatus.BAD_REQUEST,
    errors.Unauthenticated: HTTPStatus.UNAUTHORIZED,
    errors.Forbidden: HTTPStatus.FORBIDDEN,
    errors.NotFound: HTTPStatus.NOT_FOUND,
    errors.Conflict: HTTPStatus.CONFLICT,
    errors.PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    errors.UnsupportedMediaType: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    errors.Unprocessable: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.UpstreamUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
    errors.UpstreamRejected: HTTPStatus.BAD_GATEWAY,
}


def error_response(status: HTTPStatus, code: str, message: str, details: list[Any] | None = None) -> Response[str]:
    """The contract's error body: `{"error", "message", "details"?}`."""
    body: dict[str, Any] = {"error": code, "message": message}
    if details:
        body["details"] = details
    return Response(status_code=int(status), content_type="application/json", body=json.dumps(body, default=str))


def _validation_details(raw: list[Any]) -> list[dict[str, Any]]:
    """Pydantic/Powertools errors reduced to `{field, problem}` a client can act on (no echo of the input)."""
    details = []
    for item in raw:
        location = [str(part) for part in item.get("loc", ()) if part not in ("body",)]
        details.append({"field": ".".join(location) or "body", "problem": item.get("msg", "invalid")})
    return details


class SlashTolerantHttpResolver(APIGatewayHttpResolver):
    """contract.md: every path answers with and without its trailing slash."""

    def route(self, rule: str, *args: Any, **kwargs: Any) -> Any:
        return super().route(rule.rstrip("/") or "/", *args, **kwargs)

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}/*$") -> Any:
        return APIGatewayHttpResolver._compile_regex(rule, base_regex)

    def _convert_matches_into_route_keys(self, match: Match[str]) -> dict[str, str]:
        """The route's parameters as API Gateway decoded them in `pathParameters`.

        The regex captures them from the path as sent, where `/products/%C3%A9` would name product "%C3%A9", not "é".
        """
        captured: dict[str, str] = super()._convert_matches_into_route_keys(match)
        decoded = self.current_event.path_parameters or {}
        return {name: decoded.get(name, value) for name, value in captured.items()}


ResourceId = Annotated[str, Path(min_length=1, max_length=128)]
"""An id in a route's path: as long as the ids the models accept, so a longer one is a 400, not a table error."""

STAFF_ONLY: dict[str, Any] = {"x-required-group": STAFF_GROUP}
"""Pass as `openapi_extensions=STAFF_ONLY` on an admin route: the edge refuses non-staff callers with 403."""

CALLS_OPENSOLAR: dict[str, Any] = {"x-calls-upstream": "OpenSolar"}
"""Add to `openapi_extensions` on a route that calls OpenSolar while it answers: the OpenAPI document then lists the
503 it answers when OpenSolar is unavailable (`errors.UpstreamUnavailable`)."""


def _check_body(app: APIGatewayHttpResolver) -> None:
    """Refuse bodies that are too large, not JSON or not parseable, before any field is looked at."""
    event = app.current_event
    try:
        body = event.decoded_body or ""
    except UnicodeDecodeError as exc:
        # API Gateway base64-encodes a body that is not UTF-8 text; no JSON can be read from it.
        raise errors.InvalidInput("The body is not UTF-8 text, so it is not JSON.") from exc
    if not body:
        return
    limit = get_settings().max_body_bytes
    size = len(body.encode())
    if size > limit:
        raise errors.PayloadTooLarge(f"The body is {size} bytes; the limit is {limit} bytes.")
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise errors.UnsupportedMediaType(f"Send the body as application/json, not {content_type}.")
    try:
        json.loads(body, parse_constant=_not_json_constant, parse_float=_finite_float)
    except ValueError as exc:
        raise errors.InvalidInput(f"The body is not valid JSON: {exc}.") from exc


def _not_json_constant(name: str) -> float:
    """Python's parser reads NaN and Infinity, which JSON does not have and no answer could echo back."""
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    """A number such as 1e400 parses as infinity: refused like NaN, before it reaches a model or a table."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def _check_role(app: APIGatewayHttpResolver) -> None:
    route = app.context.get("_route")
    required = (getattr(route, "openapi_extensions", None) or {}).get("x-required-group")
    if required:
        require_staff(app)


class _EdgeChecksFirst(OpenAPIRequestValidationMiddleware):
    """Runs the role and body checks, then Powertools' request validation.

    Powertools always puts its validation middleware first, so a user middleware would see a non-staff caller's
    invalid body (400 before 403) or a huge body's field errors (400 before 413); extending it keeps the order right.
    """

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        assert isinstance(app, APIGatewayHttpResolver)
        _check_role(app)
        _check_body(app)
        return super().handler(app, next_middleware)


def _domain_error(exc: errors.DomainError) -> Response[str]:
    status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), HTTPStatus.BAD_REQUEST)
    logger.info("request refused", extra={"error": exc.code, "status": int(status)})
    return error_response(status, exc.code, exc.message, exc.details)


def _request_invalid(exc: RequestValidationError) -> Response[str]:
    details = _validation_details(list(exc.errors()))
    logger.info("request invalid", extra={"fields": [d["field"] for d in details]})
    return error_response(HTTPStatus.BAD_REQUEST, "invalid_input", "The request is invalid.", details)


def _not_json(exc: RequestUnsupportedContentType) -> Response[str]:
    return error_response(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE, errors.UnsupportedMediaType.code, "Send the body as application/json."
    )


def _model_invalid(exc: ValidationError) -> Response[str]:
    details = _validation_details([dict(e) for e in exc.errors()])
    return error_response(HTTPStatus.BAD_REQUEST, "invalid_input", "The request is invalid.", details)


def _no_route(exc: NotFoundError) -> Response[str]:
    return error_response(HTTPStatus.NOT_FOUND, "not_found", "No such route.")


def build_resolver() -> SlashTolerantHttpResolver:
    """A resolver with validation on and every error mapped to the contract's JSON answer."""
    app = SlashTolerantHttpResolver(enable_validation=True)
    app._request_validation_middleware = _EdgeChecksFirst()  # type: ignore[no-untyped-call]
    app.exception_handler(errors.DomainError)(_domain_error)
    app.exception_handler(RequestValidationError)(_request_invalid)
    app.exception_handler(RequestUnsupportedContentType)(_not_json)
    app.exception_handler(ValidationError)(_model_invalid)
    app.not_found(_no_route)
    return app


def caller_groups(app: APIGatewayHttpResolver) -> set[str]:
    """Cognito groups from the JWT authorizer's claims (API Gateway flattens the list to "[a b]")."""
    authorizer = app.current_event.request_context.authorizer
    claims: dict[str, Any] = (authorizer.jwt_claim if authorizer else None) or {}
    raw = claims.get("cognito:groups", [])
    if isinstance(raw, str):
        raw = raw.strip("[]").replace(",", " ").split()
    return {str(group) for group in raw}


def caller_id(app: APIGatewayHttpResolver) -> str:
    """Who is calling, for audit: the token's subject (never an email or a name)."""
    authorizer = app.current_event.request_context.authorizer
    claims: dict[str, Any] = (authorizer.jwt_claim if authorizer else None) or {}
    return str(claims.get("sub") or claims.get("username") or "unknown")


def require_staff(app: APIGatewayHttpResolver) -> None:
    """Admin routes need the `staff` group; the authorizer has already proven who the caller is."""
    authorizer = app.current_event.request_context.authorizer
    if not authorizer or not authorizer.jwt_claim:
        raise errors.Unauthenticated("Sign in: this route needs a bearer token.")
    if STAFF_GROUP not in caller_groups(app):
        raise errors.Forbidden("This action needs the staff role.")
