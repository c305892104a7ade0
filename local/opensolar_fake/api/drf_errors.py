"""DRF-shaped 400 bodies (`{"field": ["message"]}`, nested for nested serializers) from pydantic validation errors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from local.opensolar_fake.errors import ApiError

ModelT = TypeVar("ModelT", bound=BaseModel)

DATETIME_FORMAT_MESSAGE = (
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)

_MESSAGES = {
    "missing": "This field is required.",
    "string_type": "Not a valid string.",
    "string_too_short": "This field may not be blank.",
    "bool_type": "Must be a valid boolean.",
    "bool_parsing": "Must be a valid boolean.",
    "int_type": "A valid integer is required.",
    "int_parsing": "A valid integer is required.",
    "int_from_float": "A valid integer is required.",
    "float_type": "A valid number is required.",
    "float_parsing": "A valid number is required.",
    "finite_number": "A valid number is required.",
    "datetime_type": DATETIME_FORMAT_MESSAGE,
    "datetime_parsing": DATETIME_FORMAT_MESSAGE,
    "datetime_from_date_parsing": DATETIME_FORMAT_MESSAGE,
    "extra_forbidden": "Unknown field.",
    "list_type": 'Expected a list of items but got type "{type}".',
    "dict_type": "Invalid data. Expected a dictionary, but got {type}.",
    "model_type": "Invalid data. Expected a dictionary, but got {type}.",
    "model_attributes_type": "Invalid data. Expected a dictionary, but got {type}.",
    "greater_than": "Ensure this value is greater than {gt}.",
    "greater_than_equal": "Ensure this value is greater than or equal to {ge}.",
    "less_than": "Ensure this value is less than {lt}.",
    "less_than_equal": "Ensure this value is less than or equal to {le}.",
    "too_short": "Ensure this field has at least {min_length} elements.",
}


def _message(error: ErrorDetails) -> str:
    kind, value, context = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    if value is None and kind != "missing":
        return "This field may not be null."
    if kind not in _MESSAGES:
        return error["msg"]
    return _MESSAGES[kind].format(type=type(value).__name__, **{k: v for k, v in context.items() if k != "type"})


def _shape(node: Any, raw: Any) -> Any:
    """Turn int-keyed levels into DRF's forms: per-item dicts for nested serializers, `{"1": [...]}` for ListField."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(key, int) for key in node):
        if any(isinstance(child, dict) for child in node.values()):
            length = len(raw) if isinstance(raw, list) else max(node) + 1
            return [
                _shape(node.get(index, {}), raw[index] if isinstance(raw, list) and index < len(raw) else None)
                for index in range(length)
            ]
        return {str(key): child for key, child in node.items()}
    return {
        key: _shape(child, raw.get(key) if isinstance(raw, dict) else None)
        for key, child in node.items()  # keys are field names here
    }


def drf_errors(error: ValidationError, raw: Any) -> dict[str, Any]:
    """The 400 body DRF would send for the same invalid input (`raw` is the parsed request body)."""
    tree: dict[Any, Any] = {}
    for item in error.errors():
        location = item["loc"] or ("non_field_errors",)
        if item["type"] in ("model_type", "model_attributes_type") and len(item["loc"]) == 0:
            location = ("non_field_errors",)
        node = tree
        for key in location[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(location[-1], []).append(_message(item))
    shaped: dict[str, Any] = _shape(tree, raw)
    return shaped


def validate_or_400(model: type[ModelT], data: Any) -> ModelT:
    """Parse `data` into `model`, or raise the DRF-shaped 400 the real API would send."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(400, drf_errors(error, data)) from None
