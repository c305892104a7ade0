"""The OrderPaidHandlerFunction's FilterCriteria (template.yaml) pass exactly the records the automation acts on."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.ssr_stack import filter_patterns, passes_filter

EVENTS = Path(__file__).resolve().parents[2] / "events"


def record_from(event_file: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((EVENTS / event_file).read_text())["Records"][0]
    return record


def change(event_name: str, new: tuple[str, str] | None, old: tuple[str, str | None] | None) -> dict[str, Any]:
    """A stream record of SO-1001 whose images hold (stage, payment_status); None leaves an attribute out."""
    record = record_from("order_paid_became_paid.json")
    record["eventName"] = event_name
    images = record["dynamodb"]
    template = copy.deepcopy(images["NewImage"])
    for key, values in (("NewImage", new), ("OldImage", old)):
        if values is None:
            images.pop(key, None)
            continue
        image = copy.deepcopy(template)
        image["stage"] = {"S": values[0]}
        if values[1] is None:
            image.pop("payment_status")
        else:
            image["payment_status"] = {"S": values[1]}
        images[key] = image
    return record


def test_the_template_declares_four_won_and_paid_filters_and_one_refund_filter() -> None:
    assert len(filter_patterns()) == 5


@pytest.mark.parametrize(
    "event_file", ["order_paid_inserted_paid.json", "order_paid_became_paid.json", "order_paid_refunded.json"]
)
def test_the_sample_events_pass_the_filters(event_file: str) -> None:
    assert passes_filter(record_from(event_file))


@pytest.mark.parametrize(
    ("event_name", "new", "old"),
    [
        ("INSERT", ("closed_won", "paid"), None),
        ("MODIFY", ("closed_won", "paid"), ("closed_won", "pending")),
        ("MODIFY", ("closed_won", "paid"), ("negotiation", "paid")),
        ("MODIFY", ("closed_won", "paid"), ("proposal", "partially_paid")),
        ("MODIFY", ("closed_won", "paid"), ("closed_won", None)),
        ("MODIFY", ("closed_won", "refunded"), ("closed_won", "paid")),
    ],
)
def test_a_record_becoming_won_and_paid_or_refunded_after_payment_passes(
    event_name: str, new: tuple[str, str], old: tuple[str, str | None] | None
) -> None:
    assert passes_filter(change(event_name, new, old))


@pytest.mark.parametrize(
    ("event_name", "new", "old"),
    [
        ("INSERT", ("lead", "pending"), None),
        ("INSERT", ("closed_won", "pending"), None),
        ("INSERT", ("negotiation", "paid"), None),
        ("MODIFY", ("closed_won", "paid"), ("closed_won", "paid")),
        ("MODIFY", ("closed_lost", "paid"), ("closed_won", "paid")),
        ("MODIFY", ("closed_won", "partially_paid"), ("closed_won", "pending")),
        ("MODIFY", ("closed_won", "refunded"), ("closed_won", "pending")),
        ("REMOVE", None, ("closed_won", "paid")),
    ],
)
def test_no_invocation_for_unpaid_not_won_already_paid_or_removed_orders(
    event_name: str, new: tuple[str, str] | None, old: tuple[str, str | None] | None
) -> None:
    assert not passes_filter(change(event_name, new, old))
