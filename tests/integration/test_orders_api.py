"""Orders as the CRM writes them through `PUT /orders/{id}`, read back, and annotated by the automation."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import wraps
from typing import Any

import boto3
import pytest
from moto.dynamodb.models import DynamoDBBackend

from local.runtime.function_code import load_function
from local.scenarios.sample_catalog import INVERTER_ID, order_line, sample_order
from solar_core import errors
from solar_core.automation.outreach.messages import flag_note
from solar_core.orders.store import append_order_note
from tests.support.aws import dynamodb_throttling, moto_tables
from tests.support.http_events import Answer, http_event, invoke

catalog_api = load_function("catalog_api")

ORDER: dict[str, Any] = sample_order("SO-1001", [order_line(INVERTER_ID)])


def order(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ORDER), **changes}


def put_order(order_id: str, body: dict[str, Any]) -> Answer:
    # the CRM is a machine client: a valid token without the staff group
    return invoke(catalog_api.handler, http_event("PUT", "/orders/{id}", {"id": order_id}, body=body, groups=None))


def get_order(order_id: str) -> Answer:
    return invoke(catalog_api.handler, http_event("GET", "/orders/{id}", {"id": order_id}, groups=None))


def stored_item(order_id: str) -> dict[str, Any]:
    item: dict[str, Any] = boto3.client("dynamodb").get_item(
        TableName="OrdersTable", Key={"order_id": {"S": order_id}}
    )["Item"]
    return item


@pytest.fixture
def tables() -> Iterator[None]:
    with moto_tables():
        yield


def test_a_new_order_is_created_with_201_and_read_back_as_the_crm_wrote_it(tables: None) -> None:
    created = put_order("SO-1001", ORDER)

    read = get_order("SO-1001")

    assert created.status == 201
    assert read.status == 200
    assert {key: read.body[key] for key in ORDER} == ORDER
    assert read.body["created_at"]


def test_the_order_is_stored_as_native_dynamodb_attributes(tables: None) -> None:
    put_order("SO-1001", ORDER)

    item = stored_item("SO-1001")

    assert item["stage"] == {"S": "closed_won"}
    assert item["payment_status"] == {"S": "paid"}
    line = item["items"]["L"][0]["M"]
    assert line["unit_price"] == {"S": "1200.00"}
    assert line["quantity"] == {"N": "1"}
    assert item["customer"]["M"]["address"]["M"]["city"] == {"S": "Harare"}


def test_replacing_an_order_answers_200_and_keeps_its_created_at(tables: None) -> None:
    first = put_order("SO-1001", order(payment_status="pending"))

    replaced = put_order("SO-1001", order(updated_at="2026-11-25T11:00:00Z"))

    assert replaced.status == 200
    assert replaced.body["payment_status"] == "paid"
    assert replaced.body["created_at"] == first.body["created_at"]
    assert get_order("SO-1001").body["created_at"] == first.body["created_at"]


def test_an_older_write_is_refused_with_409_and_the_newer_state_stays(tables: None) -> None:
    # given the CRM's newer state is stored
    put_order("SO-1001", order(updated_at="2026-11-25T10:00:00Z"))
    # when a delayed retry of an older state arrives (half a second older)
    late = put_order(
        "SO-1001", order(stage="negotiation", payment_status="pending", updated_at="2026-11-25T09:59:59.5Z")
    )
    # then it is refused and the stored order is unchanged
    assert late.status == 409
    assert late.body["error"] == "conflict"
    assert get_order("SO-1001").body["stage"] == "closed_won"


def test_a_replayed_write_with_the_same_updated_at_is_accepted(tables: None) -> None:
    put_order("SO-1001", ORDER)

    assert put_order("SO-1001", ORDER).status == 200


def test_updated_at_with_an_offset_is_stored_in_utc_and_compared_as_a_moment(tables: None) -> None:
    # 12:00+02:00 is 10:00Z: the same moment, so not older
    put_order("SO-1001", ORDER)

    answer = put_order("SO-1001", order(updated_at="2026-11-25T12:00:00+02:00"))

    assert answer.status == 200
    assert answer.body["updated_at"] == "2026-11-25T10:00:00Z"


def test_updated_at_defaults_to_now_in_utc(tables: None) -> None:
    body = order()
    del body["updated_at"]

    answer = put_order("SO-1001", body)

    assert answer.status == 201
    assert answer.body["updated_at"].endswith("Z")
    assert answer.body["updated_at"] > "2026-01-01"


def test_the_path_names_the_order_when_the_body_does_not(tables: None) -> None:
    body = order()
    del body["order_id"]

    answer = put_order("SO-2002", body)

    assert answer.status == 201
    assert answer.body["order_id"] == "SO-2002"


def test_a_numeric_order_id_matches_its_decimal_string_path(tables: None) -> None:
    answer = put_order("1001", order(order_id=1001))

    assert answer.status == 201
    assert answer.body["order_id"] == "1001"


def test_a_body_naming_another_order_is_400(tables: None) -> None:
    answer = put_order("SO-9999", ORDER)

    assert answer.status == 400
    assert answer.body["details"] == [{"field": "order_id", "problem": "does not match the path"}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"items": [{"product_id": "INV-5KW", "quantity": 1, "unit_price": 1200.5}]}, "items.0.unit_price"),
        pytest.param({"items": [{"product_id": "INV-5KW", "quantity": -2, "unit_price": "1.00"}]}, "items.0.quantity"),
        pytest.param({"stage": "won"}, "stage"),
        pytest.param({"updated_at": "yesterday"}, "updated_at"),
        pytest.param({"customer": None}, "customer"),
    ],
    ids=["float price", "negative quantity", "unknown stage", "bad timestamp", "no customer"],
)
def test_an_invalid_order_is_400_naming_the_field(tables: None, change: dict[str, Any], field: str) -> None:
    answer = put_order("SO-1001", order(**change))

    assert answer.status == 400
    assert field in {detail["field"] for detail in answer.body["details"]}


def test_an_unknown_order_is_404(tables: None) -> None:
    answer = get_order("SO-0000")

    assert answer.status == 404
    assert answer.body["error"] == "not_found"


def test_an_order_the_crm_wrote_directly_with_other_types_is_still_read(tables: None) -> None:
    # given an item written straight to the table: numbers as N, a NULL latitude, an extra attribute
    boto3.resource("dynamodb").Table("OrdersTable").put_item(
        Item={
            **order(items=[{"product_id": "INV-5KW", "quantity": 2, "unit_price": 1200}]),
            "crm_version": 7,
        }
    )
    # when read through the API
    answer = get_order("SO-1001")
    # then it is a valid order
    assert answer.status == 200
    assert answer.body["items"][0]["quantity"] == 2
    assert answer.body["customer"]["address"]["lat"] is None


def test_a_stored_item_that_is_not_a_valid_order_is_refused_naming_the_field(tables: None) -> None:
    broken = order()
    del broken["customer"]["first_name"]
    boto3.resource("dynamodb").Table("OrdersTable").put_item(Item=broken)

    answer = get_order("SO-1001")

    assert answer.status == 400
    assert answer.body["details"][0]["field"] == "customer.first_name"


def test_a_note_appended_twice_is_written_once(tables: None) -> None:
    put_order("SO-1001", order(notes="Customer prefers mornings."))

    first = append_order_note("SO-1001", "Incompatible: INV-5KW with BAT-1KWH")
    again = append_order_note("SO-1001", "Incompatible: INV-5KW with BAT-1KWH")

    assert (first, again) == (True, False)
    assert get_order("SO-1001").body["notes"] == "Customer prefers mornings.\nIncompatible: INV-5KW with BAT-1KWH"


def test_notes_appended_at_the_same_time_are_all_kept(tables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # DynamoDB evaluates a condition and writes atomically; in-process moto needs a lock to behave the same
    lock = threading.Lock()
    unlocked: Callable[..., Any] = DynamoDBBackend.update_item

    @wraps(unlocked)
    def update_item(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return unlocked(*args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", update_item)
    put_order("SO-1001", ORDER)
    notes = [f"Flag {n}" for n in range(4)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        changed = list(pool.map(lambda note: append_order_note("SO-1001", note), notes))

    assert changed == [True] * 4
    assert sorted(get_order("SO-1001").body["notes"].splitlines()) == notes


def test_a_note_for_an_unknown_order_is_not_found(tables: None) -> None:
    with pytest.raises(errors.NotFound):
        append_order_note("SO-0000", "Incompatible")


def test_appending_a_note_does_not_move_the_crms_clock(tables: None) -> None:
    put_order("SO-1001", ORDER)
    append_order_note("SO-1001", "Flagged")

    assert put_order("SO-1001", order(notes="Flagged")).status == 200


def test_a_note_with_line_breaks_is_one_line_and_still_appended_once(tables: None) -> None:
    put_order("SO-1001", ORDER)

    first = append_order_note("SO-1001", "Incompatible:\n  INV-5KW with BAT-1KWH")
    again = append_order_note("SO-1001", "Incompatible: INV-5KW with BAT-1KWH")

    assert (first, again) == (True, False)
    assert get_order("SO-1001").body["notes"] == "Incompatible: INV-5KW with BAT-1KWH"


# ---------------------------------------------------------------- the automation's lines in the notes

FLAG = flag_note(["Inverter 5kW (INV-5KW) and Battery 1kWh (BAT-1KWH) are not compatible"])


def test_a_crm_write_with_new_notes_keeps_the_flag_line_the_automation_added(tables: None) -> None:
    # given an order the automation flagged (FlagOrder appended its line to the CRM's notes)
    put_order("SO-1001", order(notes="Customer prefers mornings."))
    append_order_note("SO-1001", FLAG)
    # when the CRM writes the order again with notes of its own, written before it saw the flag
    answer = put_order("SO-1001", order(notes="Gate code 1234.", updated_at="2026-11-25T11:00:00Z"))
    # then the CRM's notes replace its old ones, and the flag line is still there, in the answer and on GET
    assert answer.status == 200
    expected = f"Gate code 1234.\n{FLAG}"
    assert answer.body["notes"] == expected
    assert get_order("SO-1001").body["notes"] == expected


def test_a_crm_write_that_already_holds_the_flag_line_is_stored_as_written(tables: None) -> None:
    # given a flagged order
    put_order("SO-1001", ORDER)
    append_order_note("SO-1001", FLAG)
    # when the CRM writes back the notes it read, with the flag line moved first and a line of its own added
    notes = f"{FLAG}\nCalled the customer."
    put_order("SO-1001", order(notes=notes, updated_at="2026-11-25T11:00:00Z"))
    # then the notes are stored exactly as written: no line is repeated
    assert get_order("SO-1001").body["notes"] == notes


def test_a_flag_appended_while_a_crm_write_is_in_flight_survives_the_write(
    tables: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an order, and the automation flagging it just after the CRM's write read the stored notes
    put_order("SO-1001", order(notes="Customer prefers mornings."))
    unpatched: Callable[..., Any] = DynamoDBBackend.update_item
    updates: list[str] = []

    @wraps(unpatched)
    def update_item(*args: Any, **kwargs: Any) -> Any:
        updates.append("write")
        if updates == ["write"]:
            append_order_note("SO-1001", FLAG)
        return unpatched(*args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", update_item)
    # when the CRM's write lands
    answer = put_order("SO-1001", order(notes="Gate code 1234.", updated_at="2026-11-25T11:00:00Z"))
    # then its condition on the notes it read refused it once (the append in between was the second update),
    # and the retry kept the flag
    assert answer.status == 200
    assert len(updates) == 3
    assert get_order("SO-1001").body["notes"] == f"Gate code 1234.\n{FLAG}"


def test_an_older_crm_write_is_still_refused_when_the_notes_changed(tables: None) -> None:
    put_order("SO-1001", order(updated_at="2026-11-25T10:00:00Z"))
    append_order_note("SO-1001", FLAG)

    late = put_order("SO-1001", order(notes="Old notes.", updated_at="2026-11-25T09:00:00Z"))

    assert late.status == 409
    assert get_order("SO-1001").body["notes"] == FLAG


# ---------------------------------------------------------------- DynamoDB failures at the store's edge


def test_a_throttled_order_write_answers_503_and_its_retry_is_stored(tables: None) -> None:
    # given DynamoDB throttling the first write of the order
    with dynamodb_throttling("UpdateItem", times=1) as attempts:
        # when the CRM writes the order, and retries after the 503
        throttled = put_order("SO-1001", ORDER)
        retried = put_order("SO-1001", ORDER)
    # then the first answer says to come back later, and the retry creates the order
    assert (throttled.status, throttled.body["error"]) == (503, "upstream_unavailable")
    assert retried.status == 201
    assert attempts == [2]


def test_a_throttled_note_append_is_a_retryable_domain_error(tables: None) -> None:
    put_order("SO-1001", ORDER)

    with dynamodb_throttling("GetItem", times=1), pytest.raises(errors.UpstreamUnavailable):
        append_order_note("SO-1001", FLAG)

    assert append_order_note("SO-1001", FLAG) is True
