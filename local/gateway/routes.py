"""The HTTP API's routes and JWT authorizers (from the translated OpenAPI body) and API Gateway's matching."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

logger = logging.getLogger("local.http")

API_TYPES = ("AWS::ApiGatewayV2::Api",)
STAGE_TYPE = "AWS::ApiGatewayV2::Stage"
DEFAULT_STAGE = "$default"
DEFAULT_ROUTE = "$default"
_ANY = "ANY"
_OPENAPI_ANY = "x-amazon-apigateway-any-method"
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", _OPENAPI_ANY}


@dataclass(frozen=True)
class JwtAuthorizerConfig:
    """One `x-amazon-apigateway-authorizer` of type jwt."""

    name: str
    issuer: str
    audience: tuple[str, ...]
    identity_source: str = "$request.header.Authorization"


@dataclass(frozen=True)
class Route:
    """One route: `METHOD /path/{param}` → a function, with its authorizer (None = open) and scopes."""

    method: str
    path: str
    function_arn: str
    authorizer: str | None
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        """API Gateway's routeKey (`$default` for the catch-all route)."""
        return self.path if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"

    @property
    def segments(self) -> list[str]:
        """The path split on `/` (a trailing slash gives an empty last segment, as API Gateway keeps it)."""
        return self.path.split("/")[1:]

    def specificity(self) -> tuple[int, int, int]:
        """Sort key, most specific first: no greedy variable, more literal segments, exact method over ANY."""
        greedy = any(segment.endswith("+}") for segment in self.segments)
        literals = sum(1 for segment in self.segments if not segment.startswith("{"))
        return (int(greedy), -literals, int(self.method == _ANY))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters if this route serves `method path`, else None."""
        if self.path == DEFAULT_ROUTE:
            return {}
        if self.method not in (method, _ANY):
            return None
        return _match_segments(self.segments, path.split("/")[1:])


def _match_segments(wanted: list[str], given: list[str]) -> dict[str, str] | None:
    """`{name}` takes one non-empty segment, a final `{name+}` the non-empty rest; literals match exactly."""
    parameters: dict[str, str] = {}
    for index, segment in enumerate(wanted):
        variable = segment.startswith("{") and segment.endswith("}")
        if variable and segment.endswith("+}"):
            rest = given[index:]
            greedy_ok = bool(rest) and bool(rest[0])
            return parameters | {segment[1:-2]: unquote("/".join(rest))} if greedy_ok else None
        value = given[index] if index < len(given) else None
        if value is None or (variable and not value) or (not variable and segment != value):
            return None
        if variable:
            parameters[segment[1:-1]] = unquote(value)
    return parameters if len(given) == len(wanted) else None


@dataclass
class HttpApiSpec:
    """One HTTP API: id, stage, routes ordered by API Gateway's precedence, JWT authorizers by name."""

    logical_id: str
    api_id: str
    stage: str
    routes: list[Route] = field(default_factory=list)
    authorizers: dict[str, JwtAuthorizerConfig] = field(default_factory=dict)

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The most specific route for the request, with its path parameters."""
        for route in self.routes:
            parameters = route.match(method, path)
            if parameters is not None:
                return route, parameters
        return None


def _function_arn(integration_uri: str) -> str:
    """`arn:aws:apigateway:…:lambda:path/2015-03-31/functions/<function ARN>/invocations` → the function ARN."""
    if "/functions/" in integration_uri:
        return integration_uri.split("/functions/", 1)[1].removesuffix("/invocations")
    return integration_uri


def _authorizers(body: dict[str, Any]) -> dict[str, JwtAuthorizerConfig]:
    found = {}
    for name, scheme in body.get("components", {}).get("securitySchemes", {}).items():
        authorizer = scheme.get("x-amazon-apigateway-authorizer", {})
        if authorizer.get("type") != "jwt":
            logger.warning("authorizer %s (%s) is not emulated; its routes answer 401", name, authorizer.get("type"))
            continue
        config = authorizer["jwtConfiguration"]
        found[name] = JwtAuthorizerConfig(
            name=name,
            issuer=config["issuer"],
            audience=tuple(config.get("audience", [])),
            identity_source=authorizer.get("identitySource", "$request.header.Authorization"),
        )
    return found


def _security(operation: dict[str, Any], body: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    requirements = operation.get("security", body.get("security", []))
    for requirement in requirements:
        for name, scopes in requirement.items():
            return (None, ()) if name == "NONE" else (name, tuple(scopes))
    return None, ()


def http_api_specs(emulated: dict[str, dict[str, Any]], physical_ids: dict[str, str]) -> list[HttpApiSpec]:
    """Every HTTP API of the (resolved) template with its routes and authorizers."""
    stages = [res["Properties"] for res in emulated.values() if res["Type"] == STAGE_TYPE]
    specs = []
    for logical_id, resource in emulated.items():
        body = resource.get("Properties", {}).get("Body")
        if resource["Type"] not in API_TYPES or not body:
            continue
        api_id = physical_ids[logical_id]
        stage = next((s.get("StageName", DEFAULT_STAGE) for s in stages if s.get("ApiId") == api_id), DEFAULT_STAGE)
        spec = HttpApiSpec(logical_id, api_id, stage, authorizers=_authorizers(body))
        for path, operations in body.get("paths", {}).items():
            for method, operation in operations.items():
                if method not in _METHODS or "x-amazon-apigateway-integration" not in operation:
                    continue
                authorizer, scopes = _security(operation, body)
                spec.routes.append(
                    Route(
                        method=_ANY if method == _OPENAPI_ANY else method.upper(),
                        path=DEFAULT_ROUTE if path == f"/{DEFAULT_ROUTE}" else path,
                        function_arn=_function_arn(operation["x-amazon-apigateway-integration"]["uri"]),
                        authorizer=authorizer,
                        scopes=scopes,
                    )
                )
        spec.routes.sort(key=lambda route: (route.path == DEFAULT_ROUTE, *route.specificity()))
        specs.append(spec)
    return specs
