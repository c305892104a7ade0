"""The shapes of the fake's answers: JSON bodies, and the HTML pages Django sends for redirects and crashes."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

# Django's CommonMiddleware (APPEND_SLASH) answers a path without its trailing slash with a 301 before any view runs.
MOVED_PERMANENTLY_HTML = (
    "<!DOCTYPE html>\n<html><head><title>301 Moved Permanently</title></head>"
    '<body><h1>Moved Permanently</h1><p>The document has moved <a href="{location}">here</a>.</p></body></html>\n'
)
SERVER_ERROR_HTML = (
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n'
    "<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)
# Django's page for a URL no view matches (the API's own 404s are JSON `{"detail": "Not found."}`).
NOT_FOUND_HTML = (
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n'
    "<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n"
)


def json_response(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def moved_permanently() -> Response:
    query = request.query_string.decode()
    location = f"{request.host_url.rstrip('/')}{request.path}/" + (f"?{query}" if query else "")
    response = Response(MOVED_PERMANENTLY_HTML.format(location=location), status=301, mimetype="text/html")
    response.headers["Location"] = location
    return response


def server_error() -> Response:
    return Response(SERVER_ERROR_HTML, status=500, mimetype="text/html")


def not_found_page() -> Response:
    return Response(NOT_FOUND_HTML, status=404, mimetype="text/html")


# What a proxy in front of the API may answer while the API itself is being deployed.
MAINTENANCE_HTML = (
    "<!doctype html>\n<html><head><title>Down for maintenance</title></head>"
    "<body><h1>We'll be back shortly</h1></body></html>\n"
)


def garbled(response: Response, how: str) -> Response:
    """The successful answer spoiled: an HTML page with the same status, or its JSON with only a few fields left
    (no `id`: what a client must not mistake for an answer it can use)."""
    if how == "html":
        return Response(MAINTENANCE_HTML, status=response.status_code, mimetype="text/html")
    body = response.get_json(silent=True)
    if isinstance(body, list):
        return json_response([_partial(item) for item in body], response.status_code)
    return json_response(_partial(body), response.status_code)


def _partial(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    return {key: body[key] for key in ("title", "url") if key in body}
