"""Every CloudWatch metric the functions emit (Powertools Metrics, EMF), by one name each.

The one source of truth for metric names: handlers emit `Metric.X`, never a string, and template.yaml's alarms and
dashboard name these values (tests/unit/test_metric_names.py fails when either side names a metric the other lacks).
Powertools adds the `service` dimension (POWERTOOLS_SERVICE_NAME) to each, so the template's metrics carry it too.
"""

from __future__ import annotations

from enum import StrEnum


class Metric(StrEnum):
    # the catalog API
    ORDER_WRITTEN = "OrderWritten"
    # the Orders stream
    AUTOMATION_STARTED = "AutomationStarted"
    ORDER_REJECTED = "OrderRejected"
    ORDER_REFUND_NOTICED = "OrderRefundNoticed"
    STREAM_RECORD_POISONED = "StreamRecordPoisoned"
    # the SSR workflow's outcomes, and staff re-runs
    SSR_CREATED = "SSRCreated"
    ORDER_FLAGGED = "OrderFlagged"
    ORDER_SKIPPED = "OrderSkipped"
    AUTOMATION_FAILED = "AutomationFailed"
    AUTOMATION_RERUN = "AutomationRerun"
    # OpenSolar out
    SYNC_SUCCEEDED = "SyncSucceeded"
    SYNC_FAILED = "SyncFailed"
    SYNC_THROTTLED = "SyncThrottled"
    SYNC_ATTEMPTED = "SyncAttempted"
    SYNC_REJECTED = "SyncRejected"
    SYNC_DURATION = "SyncDuration"
    RETRY_QUEUED = "RetryQueued"
    RETRY_EXHAUSTED = "RetryExhausted"
    # OpenSolar in
    WEBHOOK_RECEIVED = "WebhookReceived"
    WEBHOOK_REJECTED = "WebhookRejected"
    WEBHOOK_FAILED = "WebhookFailed"
    WEBHOOK_PROCESSED = "WebhookProcessed"
    WEBHOOK_IGNORED = "WebhookIgnored"
    WEBHOOK_DUPLICATE = "WebhookDuplicate"
    CATCH_UP_APPLIED = "CatchUpApplied"
    CATCH_UP_STATUS_CHANGES = "CatchUpStatusChanges"
