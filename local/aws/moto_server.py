"""moto's server in this process, wired so Step Functions runs and its Lambda tasks call our handlers."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import requests

ACCOUNT_ID = "123456789012"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}

# (function name, event) → the handler's result; raises what the handler raises.
LambdaInvoker = Callable[[str, Any], Any]

logger = logging.getLogger("local.moto")


def client_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """What boto3, pynamodb and Powertools need to reach moto instead of AWS."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        **FAKE_CREDENTIALS,
    }


def _route_lambda_invocations(invoker: LambdaInvoker) -> None:
    """moto would run Lambda code in Docker; run our in-process handler instead (Step Functions, SNS, invoke)."""
    from moto.awslambda.models import LambdaFunction

    def invoke_in_process(function: Any, event: Any = None) -> tuple[str, bool, str]:
        if isinstance(event, str | bytes):
            event = json.loads(event or "{}")
        try:
            return json.dumps(invoker(function.function_name, event)), False, ""
        except Exception as error:  # Lambda reports any handler error to its caller as a payload
            logger.exception("%s failed", function.function_name)
            error_type = getattr(error, "error_type", None) or type(error).__name__
            payload = {"errorType": error_type, "errorMessage": str(error)}
            return json.dumps(payload), True, ""

    LambdaFunction._invoke_lambda = invoke_in_process  # type: ignore[method-assign]


def _without_docker() -> None:
    """Nothing here runs in Docker; without this, `/moto-api/data.json` dies trying to reach a Docker daemon."""
    from moto.utilities.docker_utilities import DockerModel

    def no_docker(_model: Any) -> Any:
        raise AttributeError("the local stack runs Lambda code in-process, without Docker")

    DockerModel.docker_client = property(no_docker)  # type: ignore[assignment,method-assign]


def _retry_without_sleeping() -> None:
    """Workflow Retry backoffs would sleep for real; locally the retry itself is what matters."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    retrier_decl.time = SimpleNamespace(sleep=lambda _seconds: None)  # type: ignore[assignment]


def _dynamodb_as_dynamodb_isolates() -> None:
    """DynamoDB applies each request atomically and a transaction all or nothing. moto does neither under threads:
    it backs a transaction up by deep-copying every table the transaction names (time grows with the table, which
    made a 200-order soak spend most of its time copying) and, when it fails, puts the copies back, dropping
    whatever other threads wrote meanwhile. Here requests are served one at a time, and a transaction backs up only
    the items it names and restores only those."""
    import copy
    import threading

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    serve = DynamoHandler.call_action

    def one_at_a_time(handler: DynamoHandler) -> Any:
        with lock:
            return serve(handler)

    DynamoHandler.call_action = one_at_a_time  # type: ignore[method-assign]

    deep_copy = copy.deepcopy
    # moto's own backup becomes the table itself (so its rollback is a no-op); the items are backed up below.
    dynamodb_models.copy = SimpleNamespace(  # type: ignore[attr-defined]
        deepcopy=lambda value, memo=None: value if isinstance(value, Table) else deep_copy(value, memo)
    )
    transact = dynamodb_models.DynamoDBBackend.transact_write_items

    def item_backups(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        backups = []
        for entry in transact_items:
            _, operation = next(iter(entry.items()))
            try:
                table = backend.get_table(operation["TableName"])
                names = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
                keys = operation.get("Key") or {name: operation["Item"][name] for name in names}
                hash_key, range_key = backend.get_keys_value(table, keys)
            except Exception:  # noqa: S112 - a malformed operation: the transaction itself reports it
                continue
            backups.append((table, hash_key, range_key, deep_copy(table.get_item(hash_key, range_key))))
        return backups

    def all_or_nothing(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = item_backups(backend, transact_items)
        try:
            transact(backend, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(backups):
                if item is None:
                    table.delete_item(hash_key, range_key)
                else:
                    table.put_item(item.to_json()["Attributes"], overwrite=True)
            raise

    dynamodb_models.DynamoDBBackend.transact_write_items = all_or_nothing  # type: ignore[method-assign]
    _transactions_idempotent_by_token(DynamoHandler)


def _transactions_idempotent_by_token(handler_class: Any) -> None:
    """DynamoDB answers a TransactWriteItems whose ClientRequestToken it saw in the last 10 minutes as it answered
    the first, without applying it again (so botocore resending one whose answer was lost does not fail its own
    conditions); moto ignores the token. Requests are served one at a time (above), so no lock is needed here."""
    import time

    transact = handler_class.transact_write_items
    answered: dict[str, tuple[float, Any]] = {}

    def idempotent(handler: Any) -> Any:
        token = handler.body.get("ClientRequestToken")
        if not token:
            return transact(handler)
        now = time.monotonic()
        seen = answered.get(token)
        if seen is not None and now - seen[0] < 600:
            return seen[1]
        result = transact(handler)
        answered[token] = (now, result)
        return result

    handler_class.transact_write_items = idempotent


def _sqs_served_one_at_a_time() -> None:
    """SQS applies each request atomically; moto's queue is a plain list that a delete rebuilds, so under threads a
    message sent or made visible meanwhile can be lost or stay invisible. Requests are served one at a time (no
    caller here long-polls, so none holds the lock while it waits)."""
    import threading

    from moto.sqs.responses import SQSResponse

    lock = threading.Lock()
    serve = SQSResponse.call_action

    def one_at_a_time(handler: SQSResponse) -> Any:
        with lock:
            return serve(handler)

    SQSResponse.call_action = one_at_a_time  # type: ignore[method-assign]


class MotoServer:
    """A ThreadedMotoServer on 127.0.0.1 with the Step Functions interpreter switched on."""

    def __init__(self, port: int, region: str, invoker: LambdaInvoker) -> None:
        self._requested_port = port
        self.region = region
        self._invoker = invoker
        self._server: Any = None
        self.endpoint_url = ""

    def start(self) -> str:
        """Start, export the client environment into os.environ and return the endpoint URL."""
        from moto.server import ThreadedMotoServer

        # AWS managed policies exist in IAM (a role's AWSLambdaBasicExecutionRole can then be attached and read).
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        _route_lambda_invocations(self._invoker)
        _without_docker()
        _retry_without_sleeping()
        _dynamodb_as_dynamodb_isolates()
        _sqs_served_one_at_a_time()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._requested_port, verbose=False)
        self._server.start()
        port = self._server.get_host_and_port()[1]
        self.endpoint_url = f"http://127.0.0.1:{port}"
        # The interpreter calls back to http://localhost:$MOTO_PORT for its service integrations.
        os.environ["MOTO_PORT"] = str(port)
        os.environ.update(client_environment(self.endpoint_url, self.region))
        answer = requests.post(
            f"{self.endpoint_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=5,
        )
        answer.raise_for_status()
        return self.endpoint_url

    def stop(self) -> None:
        """Stop serving (the backends die with the process)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
