"""Static settings, parsed once from the environment the template gives each function."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    """Every environment variable a function may read; resource names come from template.yaml.

    A plain model rather than pydantic-settings' BaseSettings, whose import (asyncio, argparse, dotenv and its sources)
    cost every cold start ~30 ms for what `from_environment` does in three lines.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    aws_region: str = "us-east-1"
    catalog_table: str = "Catalog"
    orders_table: str = "Orders"
    installations_table: str = "Installations"
    integration_table: str = "Integration"
    ssr_state_machine_arn: str = ""
    customer_user_pool_id: str = ""
    staff_topic_arn: str = ""
    sync_queue_url: str = ""
    webhook_queue_url: str = ""
    # Where a consumer parks what can never succeed (solar_core/adapters/poison.py).
    order_stream_dlq_url: str = ""
    sync_dlq_url: str = ""
    webhook_dlq_url: str = ""
    # The SSM parameter holding the HTTP API's public URL (template.yaml `PublicApiUrl`), for the webhook endpoint.
    public_api_url_parameter: str = ""
    sender_email: str = "noreply@example.com"
    portal_url: str = "https://portal.example.com"
    opensolar_secret_arn: str = ""
    # SyncQueue's RedrivePolicy maxReceiveCount (template.yaml; a test keeps the two equal).
    sync_max_receives: int = 5
    max_body_bytes: int = 65536

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Each field from the variable of its name in any case (`SYNC_MAX_RECEIVES`), validated: a value that is
        not of the field's type raises pydantic's ValidationError naming the field."""
        fields = cls.model_fields
        return cls.model_validate({name.lower(): value for name, value in environ.items() if name.lower() in fields})


@cache
def get_settings() -> Settings:
    """The settings of this container, read on first use."""
    return Settings.from_environment()
