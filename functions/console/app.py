"""The operator console: a static page, its stylesheet and script, and its sign-in settings, served from the HTTP API's
own origin at /console/ (so the page calls the API with no CORS and no second host to keep).

Plain standard library: the files are read once per container, and nothing here touches data, so the route needs no
authorizer; every API call the page makes carries the staff user's token and is authorised by the API as usual.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
_FILES = {path.name: path.read_text(encoding="utf-8") for path in _STATIC.iterdir() if path.suffix in _TYPES}
_INDEX = "index.html"
_CONFIG = "config.json"


def _cognito_endpoint() -> str:
    """Where the page signs in: Cognito's public endpoint in the function's region (the local stack: its endpoint)."""
    local = os.environ.get("AWS_ENDPOINT_URL")
    if local:
        return local.rstrip("/") + "/"
    return f"https://cognito-idp.{os.environ.get('AWS_REGION', 'us-east-1')}.amazonaws.com/"


def _headers(content_type: str, *, cache: str) -> dict[str, str]:
    return {
        "content-type": content_type,
        "cache-control": cache,
        "content-security-policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {_cognito_endpoint()}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }


def _answer(status: int, body: str, headers: dict[str, str]) -> dict[str, Any]:
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    path = str(event.get("rawPath") or "/")
    _, found, rest = path.partition("/console")
    if not found or (rest and not rest.startswith("/")):
        return _answer(404, "Not found.", {"content-type": "text/plain; charset=utf-8"})
    if rest == "":
        # /console → /console/, so the page's relative links (console.css, config.json, the API) resolve.
        return _answer(308, "", {"location": path + "/", "cache-control": "no-cache"})
    name = rest.lstrip("/") or _INDEX
    if name == _CONFIG:
        config = {"client_id": os.environ.get("STAFF_USER_POOL_CLIENT_ID", ""), "cognito_endpoint": _cognito_endpoint()}
        return _answer(200, json.dumps(config), _headers("application/json", cache="no-cache"))
    if name not in _FILES:
        return _answer(404, "Not found.", {"content-type": "text/plain; charset=utf-8"})
    # The page and its modules are revalidated on every load: modules cached apart could mix two releases.
    cache = "max-age=300" if name.endswith(".css") else "no-cache"
    return _answer(200, _FILES[name], _headers(_TYPES[Path(name).suffix], cache=cache))
