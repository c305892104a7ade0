"""The sample events in events/ (for `sam local invoke` and the local runner) work against the handler."""

from __future__ import annotations

import json

from local.aws.template import ROOT
from local.runtime.function_code import load_function
from solar_core.catalog import store
from solar_core.catalog.models import ProductIn
from tests.support.aws import moto_tables
from tests.support.http_events import invoke

catalog_api = load_function("catalog_api")

# In the order a new catalog is built, with the status each answers.
SCENARIO = [
    ("catalog_put_product.json", 201),
    ("catalog_get_product.json", 200),
    ("catalog_put_package.json", 201),
    ("catalog_get_package.json", 200),
    ("catalog_create_rule.json", 201),
    ("catalog_list_rules.json", 200),
    ("catalog_check_products.json", 200),
    ("catalog_validate_package.json", 200),
    ("catalog_delete_rule.json", 204),
    ("catalog_create_warranty_rule.json", 201),
    ("catalog_list_warranty_rules.json", 200),
    ("catalog_put_order.json", 201),
    ("catalog_get_order.json", 200),
]


def test_every_catalog_sample_event_is_a_jwt_authorised_payload_2_0_event_of_the_scenario() -> None:
    events = {path.name: json.loads(path.read_text()) for path in (ROOT / "events").glob("catalog_*.json")}

    assert set(events) == {name for name, _ in SCENARIO}
    for event in events.values():
        assert event["version"] == "2.0"
        assert event["routeKey"].split(" ")[0] == event["requestContext"]["http"]["method"]
        assert event["requestContext"]["authorizer"]["jwt"]["claims"]["token_use"] == "access"  # noqa: S105 - a test fixture, not a secret


def test_the_sample_events_build_a_catalog_and_an_order() -> None:
    with moto_tables():
        # given the products the sample package names besides the inverter
        for sku, name, category in [
            ("BAT-5KWH", "5 kWh Lithium Battery", "battery"),
            ("BAT-1KWH", "1 kWh Lithium Battery", "battery"),
            ("PANEL-550W", "550 W Mono Panel", "solar_panel"),
        ]:
            store.put_product(sku, ProductIn(sku=sku, name=name, category=category))
        # when each sample event is played in turn
        statuses = [
            (name, invoke(catalog_api.handler, json.loads((ROOT / "events" / name).read_text())).status)
            for name, _ in SCENARIO
        ]
    # then each answers as expected
    assert statuses == SCENARIO
