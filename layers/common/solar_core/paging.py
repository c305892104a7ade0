"""Opaque `next_token`s for lists read from one or more index partitions: where the reading stopped, and the filters
it was for (a token from another listing is refused)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pynamodb.exceptions import QueryError
from pynamodb.pagination import ResultIterator

from solar_core import errors
from solar_core.aws_errors import storage_error

T = TypeVar("T")
PartitionQuery = Callable[[int, dict[str, Any] | None], ResultIterator[Any]]
"""`query(limit, start_key)`: one index partition's items from `start_key` on."""


def newest_first(index: Any, hash_key: str) -> PartitionQuery:
    """The partition `hash_key` of a (pynamodb) index, highest range key first: the newest first when it is a time."""

    def query(limit: int, start_key: dict[str, Any] | None) -> ResultIterator[Any]:
        results: ResultIterator[Any] = index.query(
            hash_key, scan_index_forward=False, limit=limit, last_evaluated_key=start_key
        )
        return results

    return query


def make_token(position: int, start_key: dict[str, Any] | None, filters: dict[str, str | None]) -> str:
    """The token for going on at partition `position`, from `start_key` (DynamoDB's LastEvaluatedKey)."""
    document = {"p": position, "k": start_key, "f": filters}
    return base64.urlsafe_b64encode(json.dumps(document, separators=(",", ":")).encode()).decode().rstrip("=")


def read_token(token: str | None, filters: dict[str, str | None]) -> tuple[int, dict[str, Any] | None]:
    """Where to go on from (partition 0, no key for no token); InvalidInput for a token not made for `filters`."""
    if not token:
        return 0, None
    try:
        document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        position, start_key, given = int(document["p"]), document["k"], document["f"]
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise errors.InvalidInput("next_token is not one this API gave out.") from exc
    if given != filters or position < 0 or not (start_key is None or isinstance(start_key, dict)):
        raise errors.InvalidInput("next_token belongs to another listing: keep the same filters while paging.")
    return position, start_key


def page_through(
    partitions: Sequence[PartitionQuery],
    *,
    kind: type[T],
    limit: int,
    next_token: str | None,
    filters: dict[str, str | None],
) -> tuple[list[T], str | None]:
    """Up to `limit` items of type `kind` read from the partitions in order, and the token for the rest (None at the
    end). A page may come back short while more follows (DynamoDB stops at 1 MB): only a null token means the end."""
    position, start_key = read_token(next_token, filters)
    items: list[T] = []
    while position < len(partitions) and len(items) < limit:
        try:
            results = partitions[position](limit - len(items), start_key)
            items += [item for item in results if isinstance(item, kind)]
        except QueryError as exc:
            raise storage_error(exc) from exc
        start_key = results.last_evaluated_key
        if start_key is None:
            position += 1
    token = make_token(position, start_key, filters) if position < len(partitions) else None
    return items, token
