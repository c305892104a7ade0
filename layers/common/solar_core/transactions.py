"""The pynamodb connection DynamoDB transactions go through, whatever tables they span (one per container)."""

from __future__ import annotations

from functools import cache

from pynamodb.connection import Connection

from solar_core.settings import get_settings


@cache
def connection() -> Connection:
    return Connection(region=get_settings().aws_region)
