"""JSON values as the catalog accepts them: numbers sent as numbers and small enough for DynamoDB, named specs."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from typing_extensions import TypeAliasType

# DynamoDB keeps at most 38 significant digits and magnitudes between 1e-130 and 1e126: bounding numbers by
# 1e38 keeps every integer storable, and a float too small to store is zero for every purpose of the catalog.
_LARGEST_NUMBER = 1e38
_SMALLEST_MAGNITUDE = 1e-130


def _json_number(value: object) -> object:
    """A number arrives as a JSON number: without this, pydantic's lax mode reads `true` as 1 and "5" as 5."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON number")
    return value


def _storable(value: float) -> float:
    return 0.0 if abs(value) < _SMALLEST_MAGNITUDE else value


JsonNumber = BeforeValidator(_json_number)
Measure = Annotated[float, Field(ge=0, le=_LARGEST_NUMBER, allow_inf_nan=False), JsonNumber, AfterValidator(_storable)]


def _not_an_integer(value: object) -> object:
    """Integers are the other member's: read as a float, 10**38 + 1 would pass as 1e38."""
    if isinstance(value, int):
        raise ValueError("an integer is not a fraction")
    return value


_SpecInteger = Annotated[int, Field(ge=-(10**38), le=10**38)]
_SpecFloat = Annotated[
    float,
    Field(ge=-_LARGEST_NUMBER, le=_LARGEST_NUMBER, allow_inf_nan=False),
    BeforeValidator(_not_an_integer),
    AfterValidator(_storable),
]


def _one_problem(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    """One sentence for a spec nobody can store, instead of one error per member of the union."""
    try:
        return handler(value)
    except ValidationError as exc:
        raise ValueError(
            f"must be a string, a boolean, null, a number between -{_LARGEST_NUMBER:g} and {_LARGEST_NUMBER:g}, "
            "or a list or an object (with non-empty names) of these"
        ) from exc


SpecName = Annotated[str, Field(min_length=1)]
"""A spec's name, at any depth: an empty one names nothing a salesperson could read (and moto cannot store it)."""
SpecValue = TypeAliasType(
    "SpecValue",
    "StrictBool | _SpecInteger | _SpecFloat | str | list[SpecValue] | dict[SpecName, SpecValue] | None",
)
ExtraSpec = Annotated[SpecValue, WrapValidator(_one_problem)]
"""A spec the size checks do not read: any JSON value whose numbers DynamoDB can store."""
