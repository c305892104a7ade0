"""Counting AWS API calls made by code under measurement (every boto3, pynamodb and Powertools client)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient


@contextmanager
def counted_api_calls() -> Iterator[Counter[str]]:
    """Counts `service.Operation` for every call made through botocore while the block runs."""
    counts: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        counts[f"{self.meta.service_model.service_name}.{operation_name}"] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
