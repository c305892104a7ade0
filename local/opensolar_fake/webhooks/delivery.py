"""The webhook delivery queue: a worker thread POSTs queued events, records every attempt, retries with backoff."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field

from local.opensolar_fake.clock import drf_datetime

USER_AGENT = "OpenSolar-Webhooks/1.0"
_WAITING = ("queued", "retrying")


class DeliverySettings(BaseModel):
    """How deliveries are attempted: per-attempt timeout, first retry delay (doubling each time), attempts in all."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(default=5.0, gt=0)
    backoff_s: float = Field(default=30.0, ge=0)
    max_attempts: int = Field(default=5, ge=1)


@dataclass
class Attempt:
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    response_body: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": drf_datetime(self.at),
            "status_code": self.status_code,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "response_body": self.response_body,
        }


@dataclass
class Delivery:
    """One event for one webhook. status: held → queued → sending → success | retrying → … | failed."""

    id: int
    webhook_id: int
    endpoint: str
    headers: dict[str, str]
    body: dict[str, Any]
    created_at: datetime
    status: str = "queued"
    next_attempt_at: datetime | None = None
    attempts: list[Attempt] = field(default_factory=list)
    duplicate_of: int | None = None

    def as_dict(self) -> dict[str, Any]:
        last = self.attempts[-1] if self.attempts else None
        return {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "endpoint": self.endpoint,
            "headers": dict(self.headers),
            "body": self.body,
            "model": self.body["model"],
            "model_id": self.body["model_id"],
            "event": self.body["event"],
            "event_id": self.body["event_id"],
            "status": self.status,
            "number_of_attempts": len(self.attempts),
            "next_attempt_at": drf_datetime(self.next_attempt_at),
            "last_attempt_at": drf_datetime(last.at) if last else None,
            "response_status_code": last.status_code if last else None,
            "error": last.error if last else None,
            "created_date": drf_datetime(self.created_at),
            "duplicate_of": self.duplicate_of,
            "attempts": [attempt.as_dict() for attempt in self.attempts],
        }


def _post(delivery: Delivery, timeout_s: float) -> Attempt:
    started_at, started = datetime.now(UTC), time.monotonic()
    headers = {**delivery.headers, "Content-Type": "application/json", "User-Agent": USER_AGENT}
    try:
        response = requests.post(delivery.endpoint, data=json.dumps(delivery.body), headers=headers, timeout=timeout_s)
    except requests.RequestException as error:
        elapsed = int((time.monotonic() - started) * 1000)
        return Attempt(started_at, None, f"{type(error).__name__}: {error}", elapsed, "")
    elapsed = int((time.monotonic() - started) * 1000)
    return Attempt(started_at, response.status_code, None, elapsed, response.text[:500])


class DeliveryQueue:
    """Deliveries and the one worker that sends them in order; its own condition guards the records."""

    def __init__(self, settings: DeliverySettings) -> None:
        self.settings = settings
        self._condition = threading.Condition()
        self._records: dict[int, Delivery] = {}
        self._ids = itertools.count(1)
        self._duplicate_next = 0
        self._hold_next = 0
        self._stopping = False
        self._worker: threading.Thread | None = None

    # lifecycle

    def start(self) -> None:
        with self._condition:
            if self._worker is not None:
                return
            self._stopping = False
            self._worker = threading.Thread(target=self._run, name="opensolar-fake-deliveries", daemon=True)
            self._worker.start()

    def stop(self) -> None:
        with self._condition:
            worker, self._worker = self._worker, None
            self._stopping = True
            self._condition.notify_all()
        if worker is not None:
            worker.join(timeout=self.settings.timeout_s + 2)

    # operations

    def enqueue(self, webhook_id: int, endpoint: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        with self._condition:
            record = Delivery(next(self._ids), webhook_id, endpoint, headers, body, now, next_attempt_at=now)
            if self._hold_next:
                # Held until a newer delivery has been attempted: the receiver sees it out of order.
                self._hold_next -= 1
                record.status, record.next_attempt_at = "held", None
            self._records[record.id] = record
            if self._duplicate_next:
                self._duplicate_next -= 1
                twin = replace(record, id=next(self._ids), status="queued", next_attempt_at=now, attempts=[])
                twin.duplicate_of = record.id
                self._records[twin.id] = twin
            self._condition.notify_all()

    def configure(self, settings: DeliverySettings) -> None:
        with self._condition:
            self.settings = settings

    def inject(self, *, duplicate_next: int = 0, hold_next: int = 0) -> dict[str, int]:
        with self._condition:
            self._duplicate_next += duplicate_next
            self._hold_next += hold_next
            return {"duplicate_next": self._duplicate_next, "hold_next": self._hold_next}

    def records(self) -> list[dict[str, Any]]:
        with self._condition:
            return [record.as_dict() for record in self._records.values()]

    def retry_now(self) -> int:
        """Make every scheduled retry due now; the number of deliveries affected."""
        now = datetime.now(UTC)
        with self._condition:
            waiting = [record for record in self._records.values() if record.status == "retrying"]
            for record in waiting:
                record.next_attempt_at = now
            self._condition.notify_all()
            return len(waiting)

    def flush(self, timeout_s: float) -> dict[str, Any]:
        """Wait for everything queued and every retry falling due within the timeout, releasing held deliveries
        once the newer ones have been attempted (so a held one still arrives late, however quickly flush is called).

        Retries scheduled after the timeout do not count, so with a long backoff a failed delivery stays `retrying`.
        """
        deadline = time.monotonic() + timeout_s
        horizon = datetime.now(UTC) + timedelta(seconds=timeout_s)
        with self._condition:
            while True:
                busy = self._busy(horizon)
                if not busy and any(record.status == "held" for record in self._records.values()):
                    self._release_held(before_id=None)
                    self._condition.notify_all()
                    continue
                remaining = deadline - time.monotonic()
                if not busy or remaining <= 0:
                    retrying = sum(1 for record in self._records.values() if record.status == "retrying")
                    return {"drained": not busy, "busy": busy, "retrying": retrying}
                self._condition.wait(min(remaining, 0.05))

    def clear(self) -> None:
        with self._condition:
            self._records.clear()
            self._duplicate_next = self._hold_next = 0

    # worker

    def _busy(self, horizon: datetime) -> int:
        """Deliveries queued, in flight, or retrying no later than `horizon`."""
        return sum(
            1
            for record in self._records.values()
            if record.status in ("queued", "sending")
            or (
                record.status == "retrying" and record.next_attempt_at is not None and record.next_attempt_at <= horizon
            )
        )

    def _release_held(self, before_id: int | None) -> None:
        now = datetime.now(UTC)
        for record in self._records.values():
            if record.status == "held" and (before_id is None or record.id < before_id):
                record.status, record.next_attempt_at = "queued", now

    def _next_due(self, now: datetime) -> Delivery | None:
        due = [
            record
            for record in self._records.values()
            if record.status in _WAITING and record.next_attempt_at is not None and record.next_attempt_at <= now
        ]
        return min(due, key=lambda record: record.id) if due else None

    def _seconds_to_next(self, now: datetime) -> float | None:
        times = [r.next_attempt_at for r in self._records.values() if r.status in _WAITING and r.next_attempt_at]
        return max(0.0, (min(times) - now).total_seconds()) if times else None

    def _run(self) -> None:
        while True:
            with self._condition:
                record = None
                while not self._stopping:
                    now = datetime.now(UTC)
                    record = self._next_due(now)
                    if record is not None:
                        break
                    self._condition.wait(self._seconds_to_next(now))
                if self._stopping or record is None:
                    return
                record.status = "sending"
                timeout_s = self.settings.timeout_s
            attempt = _post(record, timeout_s)
            with self._condition:
                self._record_attempt(record, attempt)
                self._condition.notify_all()

    def _record_attempt(self, record: Delivery, attempt: Attempt) -> None:
        record.attempts.append(attempt)
        if attempt.status_code is not None and 200 <= attempt.status_code < 300:
            record.status, record.next_attempt_at = "success", None
        elif len(record.attempts) >= self.settings.max_attempts:
            record.status, record.next_attempt_at = "failed", None
        else:
            delay = self.settings.backoff_s * 2 ** (len(record.attempts) - 1)
            record.status, record.next_attempt_at = "retrying", datetime.now(UTC) + timedelta(seconds=delay)
        self._release_held(before_id=record.id)
