"""boto3 clients created lazily, once per container, and shared by whoever needs them."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})


@cache
def client(service: str) -> Any:
    """A boto3 client for `service`; AWS_ENDPOINT_URL (set by the local stack) is honoured by boto3 itself."""
    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]
