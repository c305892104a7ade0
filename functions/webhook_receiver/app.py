"""POST /opensolar/webhook/ (no authorizer): OpenSolar's deliveries in, acknowledged once durably stored.

OpenSolar does not sign webhooks; the only proof is the `X-OpenSolar-Secret` header we registered, compared in
constant time. Then: a 64 KB body limit, either delivery format read (400 with the reason otherwise), one conditional
write that stores and dedupes, and the processor's queue. 200 `accepted` / `duplicate` / `ignored` only once stored;
any other answer makes OpenSolar deliver again. No OpenSolar call here, and few imports: this is the function with the
tightest cold-start budget.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from solar_core import errors
from solar_core.installations.clock import now
from solar_core.metric_names import Metric
from solar_core.opensolar.api.credentials import load_secret
from solar_core.opensolar.inbound import inbox
from solar_core.opensolar.inbound.deliveries import DeliveryRefused, read_delivery
from solar_core.settings import get_settings

logger = Logger()
metrics = Metrics()

SECRET_HEADER = "x-opensolar-secret"  # noqa: S105 - the header's name, not its value


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _refused(status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    metrics.add_metric(name=Metric.WEBHOOK_REJECTED, unit=MetricUnit.Count, value=1)
    logger.warning("webhook refused", extra={"status": status, "error": code, "reason": message})
    body: dict[str, Any] = {"error": code, "message": message}
    if details:
        body["details"] = details
    return _answer(status, body)


def _authentic(given: str) -> bool:
    """Constant-time comparison with the registered secret; a mismatch reads the secret again once (rotation)."""
    if not given:
        return False
    for refresh in (False, True):
        expected = load_secret(refresh=refresh).webhook_secret
        if expected and hmac.compare_digest(given.encode(), expected.encode()):
            return True
    return False


def _body(event: dict[str, Any]) -> str:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise DeliveryRefused("The body is not UTF-8 text, so it is not JSON.") from exc
    return str(raw)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    try:
        if not _authentic(headers.get(SECRET_HEADER, "")):
            return _refused(401, "unauthenticated", "The X-OpenSolar-Secret header is missing or wrong.")
        body = _body(event)
        limit = get_settings().max_body_bytes
        if len(body.encode()) > limit:
            return _refused(413, "payload_too_large", f"The body is over the limit of {limit} bytes.")
        received_at = now()
        change = read_delivery(body, received_at)
        receipt = inbox.receive(change, body, received_at)
    except DeliveryRefused as refused:
        return _refused(400, "invalid_input", refused.message, refused.details)
    except errors.DomainError as failed:
        # Not stored, or stored but not queued: OpenSolar delivers again, and the duplicate is queued then.
        logger.error("webhook not taken", extra={"error": failed.code, "reason": failed.message})
        return _answer(503, {"error": failed.code, "message": "Try again later."})
    metrics.add_metric(name=Metric.WEBHOOK_RECEIVED, unit=MetricUnit.Count, value=1)
    logger.info("webhook received", extra={"event_key": change.event_key, "receipt": receipt.value})
    return _answer(200, {"status": receipt.value})
