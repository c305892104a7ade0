"""The Flask application: API and control blueprints, and the one place errors become HTTP answers."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from local.opensolar_fake.api.routes import build_api
from local.opensolar_fake.control.routes import build_control
from local.opensolar_fake.errors import ApiError
from local.opensolar_fake.responses import json_response, not_found_page, server_error
from local.opensolar_fake.state import FakeOrg


def create_app(org: FakeOrg) -> Flask:
    """The WSGI app serving one fake organisation."""
    app = Flask("opensolar_fake")
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep fields in the real API's order
    # Writes without the trailing slash must reach the API gate (which answers 301), not werkzeug's own 308.
    app.url_map.strict_slashes = False
    app.register_blueprint(build_api(org))
    app.register_blueprint(build_control(org))

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        response = json_response(error.body, error.status)
        response.headers.update(error.headers)
        return response

    @app.errorhandler(NotFound)
    def not_found(_error: NotFound) -> Response:
        return not_found_page()

    @app.errorhandler(MethodNotAllowed)
    def method_not_allowed(error: MethodNotAllowed) -> Response:
        response = json_response({"detail": f'Method "{request.method}" not allowed.'}, 405)
        response.headers["Allow"] = ", ".join(error.valid_methods or [])
        return response

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException) -> Response:
        # Flask wraps an unhandled exception in InternalServerError (after logging it): answer like Django would.
        if (error.code or 500) >= 500:
            return server_error()
        return json_response({"detail": error.description}, error.code or 400)

    return app
