"""An in-process moto stack for the SSR automation, shared by the ssr tests and `tests/support/ssr_metrics.py`.

It holds the template's tables, the customer pool, the staff topic, the sync queue and a verified SES sender; the
real ASL runs on moto's Step Functions interpreter, whose `lambda:invoke` calls the real `ssr_workflow` handler
(local-stack-notes.md §1); the Orders stream is read back from moto and delivered to `order_paid_handler` through
the template's own FilterCriteria, as the event source mapping would.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from unittest import mock

import boto3
import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto.awslambda.models import LambdaFunction
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.responses import DynamoHandler
from moto.events.models import EventPattern
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from local.aws.template import load_template
from local.runtime.function_code import load_function
from local.scenarios.sample_catalog import BATTERY_ID as BATTERY
from local.scenarios.sample_catalog import CUSTOMER, sample_order
from local.scenarios.sample_catalog import INSTALLATION_SERVICE_ID as INSTALLATION_SERVICE
from local.scenarios.sample_catalog import INVERTER_ID as INVERTER
from local.scenarios.sample_catalog import PACKAGE_ID as PACKAGE
from local.scenarios.sample_catalog import PANEL_ID as PANEL
from local.scenarios.sample_catalog import SMALL_BATTERY_ID as SMALL_BATTERY
from solar_core import aws_clients, transactions
from solar_core.catalog import service as catalog
from solar_core.catalog.models import CompatibilityRuleIn, PackageIn, ProductIn, WarrantyRuleIn
from solar_core.installations.ids import execution_name
from solar_core.opensolar import config
from solar_core.opensolar.api import credentials
from solar_core.orders import service as orders
from solar_core.orders.models import Order, OrderIn
from solar_core.settings import get_settings
from tests.support.aws import moto_tables

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
ASL_PATH = ROOT / "statemachines" / "ssr_automation.asl.json"
REGION = "us-east-1"
SENDER = "noreply@example.com"
PORTAL_URL = "https://portal.example.com"
WORKFLOW_FUNCTION = "SsrWorkflowFunction"

_in_handler = threading.local()


@dataclass(frozen=True)
class LambdaContext:
    """What Powertools reads from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_handler(function: str) -> ModuleType:
    """`functions/<function>/app.py`, imported once (`local.runtime.function_code`)."""
    return load_function(function, f"{function}_app")


# Every handler run (function → its durations in ms), for what a paid order or a delivery costs in Lambda time.
HANDLER_RUNS: dict[str, list[float]] = {}
_runs_lock = threading.Lock()


def invoke(function: str, event: dict[str, Any]) -> Any:
    """Calls the function's handler as Lambda would; AWS calls made meanwhile count as the handler's."""
    _in_handler.active = True
    started = time.perf_counter()
    try:
        return load_handler(function).handler(event, LambdaContext(function))
    finally:
        _in_handler.active = False
        with _runs_lock:
            HANDLER_RUNS.setdefault(function, []).append((time.perf_counter() - started) * 1000)


def logged(records: list[logging.LogRecord]) -> str:
    """Captured log records as the handlers' JSON lines, their `extra` fields included."""
    formatter = LambdaPowertoolsFormatter()
    return "\n".join(formatter.format(record) for record in records)


@cache
def filter_patterns() -> list[EventPattern]:
    """The OrderPaidHandlerFunction event source mapping's FilterCriteria, from template.yaml."""
    function = load_template()["Resources"]["OrderPaidHandlerFunction"]["Properties"]
    filters = function["Events"]["OrderBecamePaid"]["Properties"]["FilterCriteria"]["Filters"]
    return [EventPattern.load(entry["Pattern"]) for entry in filters]


def passes_filter(record: dict[str, Any], patterns: list[EventPattern] | None = None) -> bool:
    return any(pattern.matches_event(record) for pattern in patterns or filter_patterns())


def _invoke_from_interpreter(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    """moto's Lambda invoke → the real handler; a raised error becomes `errorType` (the state's error name)."""
    payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
    try:
        return json.dumps(invoke("ssr_workflow", payload)), False, ""
    except Exception as exc:  # every handler error is the task's failure, as in Lambda
        return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""


def _size_units(item: dict[str, Any] | None, unit_bytes: int) -> int:
    """DynamoDB's request units for an item of this (JSON-approximated) size: one per `unit_bytes`, at least one."""
    return max(1, -(-len(json.dumps(item or {}, default=str)) // unit_bytes))


def dynamodb_capacity_units(operation: str, params: dict[str, Any]) -> tuple[float, float]:
    """(read, write) request units a DynamoDB call is billed on demand, estimated from its parameters: writes 1 per
    KB, transactional writes twice that; a strongly consistent read 1 per 4 KB (a Query or Scan is counted as one
    unit, its result's size being unknown here), an eventually consistent one half; transactional reads twice."""
    consistent = 1.0 if params.get("ConsistentRead") else 0.5
    if operation in ("PutItem",):
        return 0.0, float(_size_units(params.get("Item"), 1024))
    if operation in ("UpdateItem", "DeleteItem"):
        return 0.0, 1.0
    if operation == "TransactWriteItems":
        units = 0
        for entry in params.get("TransactItems", []):
            _, body = next(iter(entry.items()))
            units += 2 * _size_units(body.get("Item"), 1024)
        return 0.0, float(units)
    if operation == "BatchWriteItem":
        requests = [r for rs in params.get("RequestItems", {}).values() for r in rs]
        return 0.0, float(sum(_size_units(r.get("PutRequest", {}).get("Item"), 1024) for r in requests))
    if operation == "GetItem":
        return consistent, 0.0
    if operation == "BatchGetItem":
        keys = [(k, t.get("ConsistentRead")) for t in params.get("RequestItems", {}).values() for k in t["Keys"]]
        return sum(1.0 if consistent_read else 0.5 for _, consistent_read in keys), 0.0
    if operation == "TransactGetItems":
        return 2.0 * len(params.get("TransactItems", [])), 0.0
    if operation in ("Query", "Scan"):
        return consistent, 0.0
    return 0.0, 0.0


class ApiCallCounter:
    """Counts AWS API calls (the point botocore emits `before-call`) made by handlers, by `service.Operation`, and
    the DynamoDB request units they are billed (`dynamodb.RRU`, `dynamodb.WRU`, estimated from the parameters)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.units: dict[str, float] = {}
        self._lock = threading.Lock()

    def wrap(self, make_api_call: Callable[..., Any]) -> Callable[..., Any]:
        counter = self

        def counted(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            if getattr(_in_handler, "active", False):
                service = client.meta.service_model.service_name
                key = f"{service}.{operation_name}"
                read, write = dynamodb_capacity_units(operation_name, api_params) if service == "dynamodb" else (0, 0)
                with counter._lock:
                    counter.calls[key] = counter.calls.get(key, 0) + 1
                    counter.units["dynamodb.RRU"] = counter.units.get("dynamodb.RRU", 0.0) + read
                    counter.units["dynamodb.WRU"] = counter.units.get("dynamodb.WRU", 0.0) + write
            return make_api_call(client, operation_name, api_params)

        return counted

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.units.clear()


@contextmanager
def throttled(client: BaseClient, operation: str, times: int) -> Iterator[list[int]]:
    """Fault injection: the client's first `times` calls of `operation` fail with ThrottlingException (HTTP 400),
    raised at botocore's `before-call` so nothing reaches moto; later calls go through. Yields the attempt count."""
    attempts = [0]
    event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"

    def fail_first_calls(**_: Any) -> None:
        attempts[0] += 1
        if attempts[0] <= times:
            error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
            raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)

    client.meta.events.register(event, fail_first_calls, unique_id="ssr-test-throttle")
    try:
        yield attempts
    finally:
        client.meta.events.unregister(event, unique_id="ssr-test-throttle")


@contextmanager
def unverified_sender() -> Iterator[None]:
    """SES refuses every email meanwhile: the sender is an address it has not verified (a configuration error)."""
    with mock.patch.dict(os.environ, {"SENDER_EMAIL": "unverified@example.com"}):
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()


@contextmanager
def serialised_dynamodb() -> Iterator[None]:
    """DynamoDB applies each request atomically; in-process moto does not (a transaction deep-copies whole tables
    while other threads write, and restores that copy when it fails). Concurrent workflows and racing steps run in
    threads here, so every DynamoDB request is served one at a time, as DynamoDB would isolate them."""
    lock = threading.RLock()
    original = DynamoHandler.call_action

    def serialised(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    with mock.patch.object(DynamoHandler, "call_action", serialised):
        yield


@dataclass
class SsrStack:
    tables: dict[str, str]
    user_pool_id: str
    topic_arn: str
    queue_url: str
    stream_dlq_url: str
    state_machine_arn: str
    api_calls: ApiCallCounter
    _stream_iterator: str = ""
    _stream_arn: str = ""

    # ------------------------------------------------------------ the Orders stream, as the ESM delivers it
    def stream_records(self) -> list[dict[str, Any]]:
        """Every Orders stream record written since the last call, shaped as in a Lambda event."""
        streams = _streams_client()
        response = streams.get_records(ShardIterator=self._stream_iterator)
        self._stream_iterator = response["NextShardIterator"]
        out = []
        for raw in response["Records"]:
            record = json.loads(json.dumps(raw, default=lambda value: value.timestamp()))
            record["eventSourceARN"] = self._stream_arn
            record["eventSource"] = "aws:dynamodb"
            out.append(record)
        return out

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any] | None:
        """What the event source mapping does: drop records the filters reject, invoke with the rest."""
        patterns = filter_patterns()
        passing = [record for record in records if passes_filter(record, patterns)]
        if not passing:
            return None
        return invoke("order_paid_handler", {"Records": passing})

    def deliver_new_records(self) -> dict[str, Any] | None:
        return self.deliver(self.stream_records())

    # ------------------------------------------------------------ the workflow
    def executions(self) -> list[dict[str, Any]]:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        return list(sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"])

    def wait_for(self, execution_arn: str, timeout_s: float = 20.0) -> dict[str, Any]:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        deadline = time.monotonic() + timeout_s
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return dict(described)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still running after {timeout_s} s")
            time.sleep(0.005)

    def executions_of(self, order_id: str) -> list[dict[str, Any]]:
        name = execution_name(order_id)
        return [execution for execution in self.executions() if execution["name"] == name]

    def execution_of(self, order_id: str) -> dict[str, Any]:
        name = execution_name(order_id)
        matching = [execution for execution in self.executions() if execution["name"] == name]
        assert len(matching) == 1, f"{len(matching)} executions for {order_id}"
        return matching[0]

    def wait_for_order(self, order_id: str) -> dict[str, Any]:
        return self.wait_for(self.execution_of(order_id)["executionArn"])

    def wait_for_all(self) -> list[dict[str, Any]]:
        return [self.wait_for(execution["executionArn"]) for execution in self.executions()]

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        return list(sfn.get_execution_history(executionArn=execution_arn)["events"])

    # ------------------------------------------------------------ what left the system
    # Orders in one stack are told apart by id: their order number is their id, and all messages name it.
    def sent_emails(self, order_id: str) -> list[Any]:
        messages = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        return [message for message in messages if message.subject == f"Order Confirmation - {order_id}"]

    def staff_notices(self, order_id: str) -> list[dict[str, Any]]:
        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn]
        return [
            {"message": message, "subject": subject, "attributes": attributes or {}}
            for _, message, subject, attributes, _ in topic.sent_notifications
            if f"order {order_id} " in message or f"Order {order_id} " in message
        ]

    def sync_messages(self, order_id: str) -> list[dict[str, Any]]:
        """The order's SyncQueue messages, left visible for the next reader."""
        sqs = boto3.client("sqs", region_name=REGION)
        found: dict[str, dict[str, Any]] = {}
        while True:
            response = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30)
            messages = response.get("Messages", [])
            if not messages:
                break
            found |= {message["MessageId"]: message for message in messages}
        for message in found.values():
            sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        bodies = [json.loads(message["Body"]) for message in found.values()]
        return [body for body in bodies if body["order_id"] == order_id]

    def installation_items(self, order_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        """The order's items in the Installations table (a test-only scan), optionally only one `kind`."""
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        items = dynamodb.Table(self.tables["InstallationsTable"]).scan(ConsistentRead=True)["Items"]
        mine = [item for item in items if item.get("order_id") == order_id or item["pk"] == f"ORDER#{order_id}"]
        return [item for item in mine if kind is None or item.get("kind") == kind]

    def order_item(self, order_id: str) -> dict[str, Any]:
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        return dict(dynamodb.Table(self.tables["OrdersTable"]).get_item(Key={"order_id": order_id})["Item"])

    def portal_users(self, username: str) -> list[dict[str, Any]]:
        cognito = boto3.client("cognito-idp", region_name=REGION)
        users = cognito.list_users(UserPoolId=self.user_pool_id, Filter=f'username = "{username}"')["Users"]
        return [user for user in users if user["Username"] == username]


def _streams_client() -> Any:
    """boto3 1.44 resolves an account-based streams endpoint (`<account>.streams-ddb…`) moto 5.2.5 does not route."""
    return boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )


def _create_workflow() -> str:
    iam = boto3.client("iam", region_name=REGION)
    role_arn = iam.create_role(RoleName="ssr-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambdas = boto3.client("lambda", region_name=REGION)
    function_arn = lambdas.create_function(
        FunctionName=WORKFLOW_FUNCTION,
        Runtime="python3.13",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
    )["FunctionArn"]
    definition = ASL_PATH.read_text().replace("${SsrWorkflowFunctionArn}", function_arn)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return str(
        sfn.create_state_machine(name="SsrAutomationStateMachine", definition=definition, roleArn=role_arn)[
            "stateMachineArn"
        ]
    )


def reset_cached_clients() -> None:
    """Settings, clients and cached parameters are built once per container; a new stack is a new container."""
    get_settings.cache_clear()
    aws_clients.client.cache_clear()
    transactions.connection.cache_clear()
    config._provider.cache_clear()
    credentials._provider.cache_clear()


@contextmanager
def ssr_stack(*, workflow: bool = True) -> Iterator[SsrStack]:
    """Start the stack; env vars, the interpreter's Lambda invoke and its retry sleep are restored on exit.

    `workflow=False` leaves out the state machine (for tests that call the steps or handlers directly).
    """
    counter = ApiCallCounter()
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(LambdaFunction, "_invoke_lambda", _invoke_from_interpreter))
        stack.enter_context(mock.patch.object(retrier_decl, "time", SimpleNamespace(sleep=lambda _seconds: None)))
        stack.enter_context(mock.patch.object(BaseClient, "_make_api_call", counter.wrap(BaseClient._make_api_call)))
        stack.enter_context(serialised_dynamodb())
        tables = stack.enter_context(moto_tables())
        from moto.core.models import default_user_config

        stack.enter_context(mock.patch.dict(default_user_config, {"stepfunctions": {"execute_state_machine": True}}))
        pool_id = boto3.client("cognito-idp", region_name=REGION).create_user_pool(PoolName="customers")["UserPool"][
            "Id"
        ]
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name="staff")["TopicArn"]
        queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="sync")["QueueUrl"]
        stream_dlq_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="order-stream-dlq")["QueueUrl"]
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        state_machine_arn = (
            _create_workflow() if workflow else f"arn:aws:states:{REGION}:{DEFAULT_ACCOUNT_ID}:stateMachine:none"
        )
        stack.enter_context(
            mock.patch.dict(
                os.environ,
                {
                    "CUSTOMER_USER_POOL_ID": pool_id,
                    "STAFF_TOPIC_ARN": topic_arn,
                    "SYNC_QUEUE_URL": queue_url,
                    "SENDER_EMAIL": SENDER,
                    "PORTAL_URL": PORTAL_URL,
                    "SSR_STATE_MACHINE_ARN": state_machine_arn,
                    "ORDER_STREAM_DLQ_URL": stream_dlq_url,
                },
            )
        )
        reset_cached_clients()
        stack.callback(reset_cached_clients)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        stream_arn = dynamodb.describe_table(TableName=tables["OrdersTable"])["Table"]["LatestStreamArn"]
        streams = _streams_client()
        shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        ssr = SsrStack(
            tables=tables,
            user_pool_id=pool_id,
            topic_arn=topic_arn,
            queue_url=queue_url,
            stream_dlq_url=stream_dlq_url,
            state_machine_arn=state_machine_arn,
            api_calls=counter,
            _stream_iterator=iterator["ShardIterator"],
            _stream_arn=stream_arn,
        )
        try:
            yield ssr
        finally:
            if workflow:
                for execution in ssr.executions():
                    if execution["status"] == "RUNNING":
                        ssr.wait_for(execution["executionArn"])


# ---------------------------------------------------------------- the scenario's catalog and orders

HYBRID_INVERTER = "INV-5KW-HYB"
CABLE = "CABLE-6MM"


def seed_catalog() -> None:
    """The issue's catalog: 5 kW inverters (plain and hybrid), 5 and 1 kWh batteries, 550 W panels, two non-solar
    products, the "5kW Complete System" package, its compatibility rules and a 730-day inverter warranty rule."""
    inverter_specs = {"rated_power_kw": 5.0, "max_pv_input_kw": 6.5, "max_battery_kwh": 20.0, "nominal_voltage_v": 48}
    products = {
        INVERTER: ProductIn(sku="INV-5KW", name="Inverter 5kW", category="inverter", specs=inverter_specs),
        HYBRID_INVERTER: ProductIn(
            sku="INV-5KW-HYB", name="Hybrid Inverter 5kW", category="inverter", specs={**inverter_specs, "hybrid": True}
        ),
        BATTERY: ProductIn(
            sku="BAT-5KWH",
            name="Battery 5kWh",
            category="battery",
            specs={"capacity_kwh": 5.0, "nominal_voltage_v": 48},
        ),
        SMALL_BATTERY: ProductIn(
            sku="BAT-1KWH",
            name="Battery 1kWh",
            category="battery",
            specs={"capacity_kwh": 1.0, "nominal_voltage_v": 48},
        ),
        PANEL: ProductIn(sku="PANEL-550W", name="Solar Panel 550W", category="solar_panel", specs={"power_w": 550}),
        CABLE: ProductIn(sku="CABLE-6MM", name="PV Cable 6mm", category="cable"),
        INSTALLATION_SERVICE: ProductIn(sku="SVC-INSTALL", name="Installation", category="service"),
    }
    for product_id, product in products.items():
        catalog.store.put_product(product_id, product)
    for inverter in (INVERTER, HYBRID_INVERTER):
        catalog.create_rule(CompatibilityRuleIn(product_a_id=inverter, product_b_id=BATTERY, rule_type="COMPATIBLE"))
        catalog.create_rule(
            CompatibilityRuleIn(
                product_a_id=inverter,
                product_b_id=SMALL_BATTERY,
                rule_type="INCOMPATIBLE",
                reason="Battery too small for inverter",
            )
        )
        catalog.create_rule(CompatibilityRuleIn(product_a_id=inverter, product_b_id=PANEL, rule_type="COMPATIBLE"))
    catalog.create_warranty_rule(WarrantyRuleIn(category="inverter", duration_days=730))
    catalog.put_package(
        PACKAGE,
        PackageIn(name="5kW Complete System", system_size_kw=5.0, items=complete_system(as_package=True)),
    )


def new_order_id() -> str:
    """A fresh order id: tests share one stack per module and tell their orders apart by id."""
    return f"SO-{uuid.uuid4().hex[:10].upper()}"


@pytest.fixture(scope="module")
def ssr_workflow() -> bool:
    """Whether the module's stack runs the state machine; a module that calls the steps directly overrides it."""
    return True


@pytest.fixture(scope="module")
def stack(ssr_workflow: bool) -> Iterator[SsrStack]:
    """One stack per test module, its catalog seeded."""
    with ssr_stack(workflow=ssr_workflow) as running:
        seed_catalog()
        yield running


@pytest.fixture
def order_id() -> str:
    return new_order_id()


def step(name: str, order_id: str, **fields: Any) -> Any:
    """Run one workflow step with its events/ssr_<name>.json input for `order_id`, `fields` replacing the sample's
    other values."""
    task = {**json.loads((EVENTS / f"ssr_{name}.json").read_text()), "order_id": order_id, **fields}
    return invoke("ssr_workflow", task)


def complete_system(inverter: str = INVERTER, *, as_package: bool = False) -> list[dict[str, Any]]:
    """The "5kW Complete System" package's lines: inverter x1, BAT-5KWH x2, panel x10."""
    lines: list[dict[str, Any]] = [
        {"product_id": inverter, "quantity": 1, "unit_price": "1200.00"},
        {"product_id": BATTERY, "quantity": 2, "unit_price": "900.00"},
        {"product_id": PANEL, "quantity": 10, "unit_price": "150.00"},
    ]
    if as_package:
        return [{"product_id": line["product_id"], "quantity": line["quantity"]} for line in lines]
    return lines


def order_body(
    order_id: str,
    items: list[dict[str, Any]] | None = None,
    *,
    email: str | None = CUSTOMER["email"],
    whatsapp_id: str = CUSTOMER["whatsapp_id"],
    address: dict[str, Any] | None = None,
    **fields: Any,
) -> OrderIn:
    """The sample order of customer John Doe, as the CRM sends it; `fields` replace top-level fields (`stage`,
    `payment_status`, `notes`), `address` the customer's. It carries no `updated_at`, so the orders service stamps
    each write as it happens."""
    customer = {**CUSTOMER, "email": email, "whatsapp_id": whatsapp_id}
    if address is not None:
        customer["address"] = address
    return OrderIn.model_validate(sample_order(order_id, items, customer=customer, updated_at=None, **fields))


def put_order(order_id: str, items: list[dict[str, Any]] | None = None, **fields: Any) -> Order:
    """Writes the order through the orders service, as `PUT /orders/{id}` does."""
    order, _ = orders.put_order(order_id, order_body(order_id, items, **fields))
    return order


def run_paid_order(
    stack: SsrStack, order_id: str, items: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    """Write the order, deliver its stream records, and wait for its workflow; the finished execution."""
    put_order(order_id, items, **fields)
    stack.deliver_new_records()
    return stack.wait_for_order(order_id)
