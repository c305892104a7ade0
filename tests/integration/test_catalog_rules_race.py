"""Two Lambda containers creating the same compatibility rule at the same moment: the table's condition decides."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import wraps
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from local.runtime.function_code import load_function
from tests.support.aws import moto_tables
from tests.support.http_events import Answer, http_event, invoke

CONTAINERS = [load_function("catalog_api", f"catalog_api_container_{name}") for name in ("a", "b")]
PRODUCTS = {
    "INV-5KW": {"sku": "INV-5KW", "name": "5 kW Hybrid Inverter", "category": "inverter"},
    "BAT-5KWH": {"sku": "BAT-5KWH", "name": "5 kWh Lithium Battery", "category": "battery"},
}


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # DynamoDB evaluates a condition and writes atomically; in-process moto does not lock, so give it that guarantee.
    lock = threading.Lock()
    unlocked: Callable[..., Any] = DynamoDBBackend.put_item

    @wraps(unlocked)
    def put_item(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return unlocked(*args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)
    with moto_tables():
        yield


def create_rule(container: Any, product_a_id: str, product_b_id: str) -> Answer:
    body = {"product_a_id": product_a_id, "product_b_id": product_b_id, "rule_type": "COMPATIBLE"}
    return invoke(container.handler, http_event("POST", "/products/compatibility/rules", body=body))


@pytest.mark.parametrize(
    "pairs",
    [
        pytest.param([("INV-5KW", "BAT-5KWH"), ("INV-5KW", "BAT-5KWH")], id="same order"),
        pytest.param([("INV-5KW", "BAT-5KWH"), ("BAT-5KWH", "INV-5KW")], id="mirrored"),
    ],
)
def test_two_containers_creating_the_same_rule_at_once_get_one_201_and_one_409(
    tables: None, pairs: list[tuple[str, str]]
) -> None:
    # given the products, and two warm containers
    for container, (product_id, body) in zip(CONTAINERS, PRODUCTS.items(), strict=True):
        assert (
            invoke(container.handler, http_event("PUT", "/products/{id}", {"id": product_id}, body=body)).status == 201
        )
    start = threading.Barrier(len(CONTAINERS))

    def race(container: Any, pair: tuple[str, str]) -> Answer:
        start.wait()
        return create_rule(container, *pair)

    # when both create the rule at the same moment
    with ThreadPoolExecutor(max_workers=len(CONTAINERS)) as pool:
        answers = list(pool.map(race, CONTAINERS, pairs))

    # then exactly one wins and the rule exists once
    assert sorted(answer.status for answer in answers) == [201, 409]
    listed = invoke(CONTAINERS[0].handler, http_event("GET", "/products/compatibility/rules")).body["items"]
    assert len(listed) == 1
