"""The one mapping from failed AWS calls to domain errors, by error code: transient ones may be retried, others not.

Data-access modules apply it at their edge (`storage_edge`, `storage_error`) and the other AWS callers per call
(`upstream_error`), so nothing above them handles a botocore or pynamodb exception.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from solar_core import errors

# Throttling, server-side and contention codes across DynamoDB (API errors and transaction cancellation reasons),
# SES, Cognito, SNS, SQS and Step Functions.
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottlingError",
        "ThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceeded",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "LimitExceededException",
        "KMSThrottlingException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalErrorException",
        "InternalServerError",
        "InternalServerException",
        "TransactionConflict",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
CONDITION_FAILED_CODES = frozenset({"ConditionalCheckFailedException", "ConditionalCheckFailed"})

_TRANSIENT_TRANSPORT = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def item_at_failure(exc: ClientError) -> dict[str, Any]:
    """The item a refused condition saw, as DynamoDB returns it with ReturnValuesOnConditionCheckFailure=ALL_OLD
    (empty when the item did not exist)."""
    response: dict[str, Any] = dict(exc.response)
    item: dict[str, Any] = response.get("Item") or {}
    return item


def _http_status(exc: ClientError) -> int:
    """The response's HTTP status; pynamodb re-raises without it, so the original error is asked too."""
    for candidate in (exc, exc.__cause__):
        if isinstance(candidate, ClientError):
            status = candidate.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status:
                return int(status)
    return 0


def _is_transient(exc: ClientError | BotoCoreError) -> bool:
    """Throttled, failing on the server's side, contended or unreachable: a later attempt may succeed."""
    if isinstance(exc, ClientError):
        return error_code(exc) in TRANSIENT_CODES or _http_status(exc) >= 500
    return isinstance(exc, _TRANSIENT_TRANSPORT)


def upstream_error(exc: ClientError | BotoCoreError, service: str) -> errors.DomainError:
    """The domain error for a failed AWS call to `service`: UpstreamUnavailable when retrying may help."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if _is_transient(exc):
            return errors.UpstreamUnavailable(f"{service} is unavailable or throttling ({code}).")
        return errors.UpstreamRejected(f"{service} refused the request ({code}).")
    if _is_transient(exc):
        return errors.UpstreamUnavailable(f"{service} could not be reached ({type(exc).__name__}).")
    return errors.UpstreamRejected(f"{service} call failed ({type(exc).__name__}).")


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    """Why DynamoDB cancelled a transaction, one code (or None) per item in the order the request listed them."""
    return [reason.code if reason else None for reason in exc.cancellation_reasons]


def storage_error(exc: PynamoDBException | ClientError | BotoCoreError) -> errors.DomainError:
    """The domain error for a failed DynamoDB call, made through pynamodb or boto3 (the data-access edge).

    A refused condition is a Conflict; throttling, 5xx, contention and transport failures are UpstreamUnavailable;
    anything else (a malformed request, a missing table, no permission) is UpstreamRejected.
    """
    cause = exc.cause if isinstance(exc, PynamoDBException) else exc
    if isinstance(exc, TransactWriteError):
        codes = set(cancellation_codes(exc))
        if codes & TRANSIENT_CODES:
            return errors.UpstreamUnavailable("DynamoDB cancelled the transaction for contention or throttling.")
        if codes & CONDITION_FAILED_CODES:
            return errors.Conflict("The record changed or already exists.")
    if isinstance(cause, ClientError) and error_code(cause) in CONDITION_FAILED_CODES:
        return errors.Conflict("The record changed or already exists.")
    if isinstance(cause, ClientError | BotoCoreError):
        return upstream_error(cause, "DynamoDB")
    return errors.UpstreamRejected(f"DynamoDB call failed ({type(exc).__name__}).")


def storage_edge(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Marks a data-access function: the DynamoDB failures it lets through leave it as domain errors."""

    @functools.wraps(function)
    def mapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return function(*args, **kwargs)
        except (PynamoDBException, ClientError, BotoCoreError) as exc:
            raise storage_error(exc) from exc

    return mapped


def parameter_error(exc: Exception, service: str, what: str) -> errors.DomainError:
    """The domain error for a Powertools Parameters read that failed: the AWS cause mapped, else unavailable."""
    cause = exc.__cause__
    if isinstance(cause, ClientError | BotoCoreError):
        return upstream_error(cause, service)
    return errors.UpstreamUnavailable(f"{what} could not be read.")
