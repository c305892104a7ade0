"""API Gateway's JWT authorizer: validate a Cognito token against moto's JWKS and hand on the claims as strings."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import jwt

from local.gateway.routes import JwtAuthorizerConfig

logger = logging.getLogger("local.http")


@dataclass(frozen=True)
class Authorization:
    """What API Gateway puts under `requestContext.authorizer.jwt`."""

    claims: dict[str, str]
    scopes: list[str] | None

    def grants(self, required_scopes: tuple[str, ...]) -> bool:
        """A route with scopes needs one of them in the token (API Gateway answers 403 otherwise)."""
        return not required_scopes or bool(set(required_scopes) & set(self.scopes or []))


def jwks_url(issuer: str, aws_endpoint_url: str) -> str:
    """Cognito issuers live on moto (`<endpoint>/<pool id>/.well-known/jwks.json`); others where they say."""
    parsed = urlparse(issuer)
    if parsed.hostname and parsed.hostname.startswith("cognito-idp.") and parsed.hostname.endswith(".amazonaws.com"):
        return f"{aws_endpoint_url}{parsed.path}/.well-known/jwks.json"
    return f"{issuer.rstrip('/')}/.well-known/jwks.json"


def stringify_claim(value: Any) -> str:
    """API Gateway flattens claims to strings: lists become `[a b]`, booleans `true`/`false`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(stringify_claim(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _header_name(identity_source: str) -> str:
    return identity_source.removeprefix("$request.header.").lower()


class JwtAuthorizer:
    """Validates signature, issuer, expiry and audience (ID token `aud`, access token `client_id`)."""

    def __init__(self, config: JwtAuthorizerConfig, aws_endpoint_url: str) -> None:
        self._config = config
        self._keys = jwt.PyJWKClient(jwks_url(config.issuer, aws_endpoint_url), cache_keys=True)
        self._header = _header_name(config.identity_source)

    def authorize(self, headers: dict[str, str]) -> Authorization | None:
        """The authorization for a request whose lower-cased headers are `headers`; None means 401."""
        raw = headers.get(self._header, "").strip()
        token = raw[7:].strip() if raw[:7].lower() == "bearer " else raw
        if not token:
            return None
        try:
            key = self._keys.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._config.issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
            )
        except (jwt.PyJWTError, ValueError) as error:
            logger.info("token refused: %s", error)
            return None
        audience = claims.get("aud", claims.get("client_id"))
        if audience not in self._config.audience:
            logger.info("token refused: audience %s is not %s", audience, self._config.audience)
            return None
        scopes = claims["scope"].split() if isinstance(claims.get("scope"), str) else None
        return Authorization({name: stringify_claim(value) for name, value in claims.items()}, scopes)
