"""Reading request bodies the way DRF's parsers do: JSON or form by Content-Type, 415 for anything else."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from local.opensolar_fake.errors import ApiError

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def read_body() -> Any:
    """The parsed body; an empty body is `{}`. A JSON body sent without `Content-Type: application/json` is a 415."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    media_type = request.mimetype
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from None
    if media_type in _FORM_TYPES:
        return request.form.to_dict()
    raise ApiError(415, {"detail": f'Unsupported media type "{request.content_type or ""}" in request.'})
