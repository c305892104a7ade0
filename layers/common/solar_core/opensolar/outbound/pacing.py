"""Write pacing shared by every container: OpenSolar allows `limit` project writes per `window` per API user.

One DynamoDB item holds the next free write slot (epoch seconds). Taking a slot is a conditional update from the
value read to that value plus one interval, so however many containers race, each slot goes to exactly one writer and
writes leave evenly spaced (GCRA without a burst). Even spacing keeps any sliding window of OpenSolar's at or under
its limit, which a bucket that allows a burst would not; the guard absorbs network jitter between taking a slot and
the write reaching OpenSolar. A 429 pushes the slot past OpenSolar's Retry-After for every container at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from solar_core import errors
from solar_core.aws_clients import client
from solar_core.aws_errors import CONDITION_FAILED_CODES, error_code, item_at_failure, upstream_error
from solar_core.settings import get_settings

PACER_KEY = {"pk": {"S": "PACER"}, "sk": {"S": "OPENSOLAR_WRITES"}}
_GUARD_FRACTION = 0.03
_MIN_GUARD_S = 0.25
_ATTEMPTS = 16
_CONTENTION_PAUSE_S = 0.02


class WriteSlotTooFar(errors.UpstreamUnavailable):
    """The next free write slot is further away than the caller can wait; come back in `retry_after_s`."""


@dataclass(frozen=True)
class WritePacer:
    limit: int
    window_s: float
    clock: Callable[[], float] = time.time
    dynamodb: Any = field(default=None, compare=False)

    @property
    def interval_s(self) -> float:
        """Seconds between two writes: the window plus its guard, shared out evenly."""
        guard = max(_MIN_GUARD_S, self.window_s * _GUARD_FRACTION)
        return (self.window_s + guard) / self.limit

    def reserve(self, max_wait_s: float) -> float:
        """Takes the next write slot; the seconds to wait for it (0 when free now).

        Raises WriteSlotTooFar when the slot is more than `max_wait_s` away (nothing is taken then).
        """
        interval = self.interval_s
        for _ in range(_ATTEMPTS):
            now = self.clock()
            current = self._take(now + interval, "attribute_not_exists(next_free_at) OR next_free_at <= :now", now)
            if current is None:
                return 0.0
            wait = current - now
            if wait > max_wait_s:
                raise WriteSlotTooFar(f"The next OpenSolar write slot is {wait:.1f} s away.", retry_after_s=wait)
            if self._take(current + interval, "next_free_at = :seen", current) is None:
                return wait
            time.sleep(random.uniform(0, _CONTENTION_PAUSE_S))  # noqa: S311 - spreading racers, not security
        raise errors.UpstreamUnavailable("The OpenSolar write pacer is contended; retry.")

    def hold_until(self, moment: float) -> None:
        """No write before `moment` (after OpenSolar answered 429), for every container."""
        self._take(moment, "attribute_not_exists(next_free_at) OR next_free_at < :seen", moment)

    def _take(self, new_value: float, condition: str, seen: float) -> float | None:
        """Sets the next free slot under `condition`; None on success, else the slot the table holds."""
        values = {":next": {"N": repr(new_value)}, (":now" if ":now" in condition else ":seen"): {"N": repr(seen)}}
        try:
            (self.dynamodb or client("dynamodb")).update_item(
                TableName=get_settings().integration_table,
                Key=PACER_KEY,
                UpdateExpression="SET next_free_at = :next",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) not in CONDITION_FAILED_CODES:
                raise upstream_error(exc, "DynamoDB") from exc
            held = item_at_failure(exc).get("next_free_at", {}).get("N")
            return float(held) if held is not None else seen
        except BotoCoreError as exc:
            raise upstream_error(exc, "DynamoDB") from exc
        return None
