"""Puts the faults into botocore, for calls made by function code only (the stack's own calls never see one).

Invocation faults sit in `BaseClient._make_api_call` (one logical call, whatever botocore retries); service faults
in `Endpoint._send` (one HTTP attempt), below botocore's retries, so the product's retry policy meets them as it
would meet AWS's answers. A call made while another is in flight (the IAM check's own lookups) is plumbing.
"""

from __future__ import annotations

from typing import Any

from botocore.client import BaseClient
from botocore.endpoint import Endpoint
from botocore.exceptions import ReadTimeoutError

from local.aws_faults.answers import (
    DEFAULT_SERVER_ERRORS,
    DEFAULT_THROTTLING,
    PROTOCOLS,
    SERVER_ERRORS,
    THROTTLING,
    error_answer,
)
from local.aws_faults.injector import AwsFaults, FaultRates, current

_installed: list[AwsFaults] = []


def _protocol(client: BaseClient) -> str:
    model = client.meta.service_model
    return str(getattr(model, "resolved_protocol", None) or model.metadata["protocol"])


def faults_for(rates: FaultRates, seed: int | None) -> AwsFaults:
    """The stack's faults, injected from now on unless every rate is 0 (then nothing is)."""
    faults = AwsFaults(rates, seed)
    if rates.any:
        install(faults)
    return faults


def install(faults: AwsFaults) -> None:
    """Inject `faults` from now on (patched once per process; a later call replaces the faults)."""
    first = not _installed
    _installed[:] = [faults]
    if not first:
        return
    make_api_call = BaseClient._make_api_call
    send = Endpoint._send

    def faulty_call(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        invocation = current()
        if invocation is None:
            return make_api_call(client, operation_name, api_params)
        if invocation.depth:
            invocation.depth += 1
            try:
                return make_api_call(client, operation_name, api_params)
            finally:
                invocation.depth -= 1
        injector = _installed[0]
        service = client.meta.service_model.service_name
        operation = f"{service}:{operation_name}"
        injector.before_call(invocation, operation)
        invocation.depth, invocation.service, invocation.protocol = 1, service, _protocol(client)
        try:
            result = make_api_call(client, operation_name, api_params)
        except Exception:
            injector.after_call(invocation, operation)
            raise
        finally:
            invocation.depth = 0
        injector.after_call(invocation, operation)
        return result

    def faulty_send(endpoint: Endpoint, request: Any) -> Any:
        invocation = current()
        if invocation is None or invocation.depth != 1 or invocation.protocol not in PROTOCOLS:
            return send(endpoint, request)
        injector = _installed[0]
        service = invocation.service
        operation = invocation.last_call
        if injector.roll("throttle"):
            injector.count("throttle", operation)
            code, status = injector.choose(THROTTLING.get(service, DEFAULT_THROTTLING))
            return error_answer(request.url, invocation.protocol, code, status, "Rate exceeded")
        if injector.roll("server_error"):
            injector.count("server_error", operation)
            code, status = injector.choose(SERVER_ERRORS.get(service, DEFAULT_SERVER_ERRORS))
            return error_answer(request.url, invocation.protocol, code, status, "We encountered an internal error.")
        answer = send(endpoint, request)
        if injector.roll("lost_answer"):
            injector.count("lost_answer", operation)
            raise ReadTimeoutError(endpoint_url=request.url)
        return answer

    BaseClient._make_api_call = faulty_call  # type: ignore[method-assign]
    Endpoint._send = faulty_send  # type: ignore[method-assign]
