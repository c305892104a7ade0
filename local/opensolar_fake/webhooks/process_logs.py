"""OpenSolar's `webhook_process_logs` view of the delivery queue, as JSON rows or as CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

COLUMNS = (
    "id",
    "webhook_id",
    "endpoint",
    "model",
    "model_id",
    "event",
    "event_id",
    "status",
    "number_of_attempts",
    "next_attempt_at",
    "last_attempt_at",
    "response_status_code",
    "error",
    "created_date",
    "payload",
)
# The queue's internal states folded into what the log shows.
_STATUS = {"held": "pending", "queued": "pending", "sending": "pending"}


def log_rows(deliveries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for delivery in deliveries:
        row = {column: delivery.get(column) for column in COLUMNS}
        row["status"] = _STATUS.get(delivery["status"], delivery["status"])
        row["payload"] = delivery["body"]
        rows.append(row)
    return rows


def as_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "payload": json.dumps(row["payload"])})
    return buffer.getvalue()
