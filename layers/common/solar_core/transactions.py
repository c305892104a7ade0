"""The pynamodb connection DynamoDB transactions go through, whatever tables they span (one per container)."""

from __future__ import annotations

import uuid
from functools import cache

from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from solar_core.settings import get_settings


@cache
def connection() -> Connection:
    return Connection(region=get_settings().aws_region)


def idempotent_write() -> TransactWrite:
    """A write transaction with its own ClientRequestToken: when its answer is lost and botocore sends it again,
    DynamoDB answers the resend as it answered the first (within 10 minutes) instead of applying it twice or failing
    the conditions the first application changed."""
    return TransactWrite(connection=connection(), client_request_token=uuid.uuid4().hex)
