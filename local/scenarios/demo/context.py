"""What every part of `make demo` works with: the API client, the running stack, and the orders it writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from local.aws.moto_server import FAKE_CREDENTIALS
from local.scenarios.demo.client import DemoApi, short_json

FINAL_STATES = ("created", "skipped", "flagged", "failed")
PAID_ORDER = "SO-DEMO-1001"  # John Doe's complete system: the automation part pays it, later parts follow it


@dataclass
class DemoContext:
    """What a scenario part works with: the API client (staff token) and the running stack."""

    api: DemoApi
    stack: dict[str, Any]  # the parsed stack.json

    def aws(self, service: str) -> Any:
        """A boto3 client on the stack's moto (to show what the automation sent, stored or ran)."""
        session = boto3.session.Session(
            region_name=self.stack["region"],
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        return session.client(service, endpoint_url=self.stack["aws_endpoint_url"])  # type: ignore[call-overload]


def show(label: str, value: Any) -> None:
    """One labelled, shortened value of the scenario's output."""
    print(f"  {label:<21} {short_json(value)}")


def pick(record: dict[str, Any] | None, *keys: str) -> dict[str, Any] | None:
    return None if record is None else {key: record.get(key) for key in keys}


def _order_lines(order: dict[str, Any]) -> str:
    lines = []
    for line in order["items"]:
        serials = f" (serial {', '.join(line['serial_numbers'])})" if line["serial_numbers"] else ""
        lines.append(f"{line['quantity']} x {line['product_id']}{serials}")
    return ", ".join(lines)


def put_order(demo: DemoContext, order: dict[str, Any], expect: int = 201, why: str = "stored") -> None:
    print(f"\n  order {order['order_id']}: {order['stage']}, {order['payment_status']}; {_order_lines(order)}")
    demo.api.call(
        "PUT",
        f"/orders/{order['order_id']}",
        order,
        expect=expect,
        why=why,
        show=lambda stored: pick(stored, "order_id", "stage", "payment_status", "updated_at"),
    )


def wait_for_automation(demo: DemoContext, order_id: str) -> dict[str, Any]:
    """The order's service-request view once its automation state is final (a view of nothing on a timeout)."""
    view = demo.api.wait_for(
        f"/orders/{order_id}/service-request",
        lambda answer: answer["automation"]["state"] in FINAL_STATES,
        why="the automation is done",
    )
    if not isinstance(view, dict) or "automation" not in view:
        return {"automation": {"state": "not started"}, "ssr": None, "installation_request": None, "warranties": []}
    return view
