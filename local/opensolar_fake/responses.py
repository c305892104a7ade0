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
