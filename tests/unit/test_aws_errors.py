"""The one mapping from failed AWS calls to domain errors: retryable (UpstreamUnavailable), a refused condition
(Conflict), or refused for good (UpstreamRejected) — for boto3 and pynamodb errors alike."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError
from pynamodb.exceptions import (
    CancellationReason,
    GetError,
    PutError,
    TransactWriteError,
    UpdateError,
    VerboseClientError,
)

from solar_core import errors
from solar_core.aws_errors import storage_edge, storage_error, upstream_error


def client_error(code: str, status: int = 400, operation: str = "PutItem") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "..."}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


def cancelled(*codes: str | None) -> TransactWriteError:
    """A TransactWriteItems refusal as pynamodb raises it: one cancellation reason (or None) per item."""
    reasons = [CancellationReason(code=code) if code else None for code in codes]
    error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
    cause = VerboseClientError({"Error": error}, "TransactWriteItems", cancellation_reasons=reasons)
    return TransactWriteError("Failed to write transaction items", cause)


TRANSIENT = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "TransactionConflictException",
]


@pytest.mark.parametrize("code", TRANSIENT)
def test_throttling_server_errors_and_transaction_conflicts_from_dynamodb_are_retryable(code: str) -> None:
    assert isinstance(storage_error(client_error(code)), errors.UpstreamUnavailable)
    assert isinstance(storage_error(PutError("Failed to put item", client_error(code))), errors.UpstreamUnavailable)


def test_any_5xx_is_retryable_even_with_an_unknown_code() -> None:
    assert isinstance(storage_error(UpdateError("x", client_error("SomethingNew", 503))), errors.UpstreamUnavailable)
    assert isinstance(upstream_error(client_error("SomethingNew", 502), "SNS"), errors.UpstreamUnavailable)


def test_an_unreachable_endpoint_is_retryable() -> None:
    unreachable = EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
    assert isinstance(storage_error(GetError("x", unreachable)), errors.UpstreamUnavailable)
    assert isinstance(upstream_error(unreachable, "SES"), errors.UpstreamUnavailable)


def test_a_refused_condition_is_a_conflict() -> None:
    assert isinstance(storage_error(PutError("x", client_error("ConditionalCheckFailedException"))), errors.Conflict)
    assert isinstance(storage_error(client_error("ConditionalCheckFailedException")), errors.Conflict)


def test_a_malformed_request_or_missing_permission_is_refused_for_good() -> None:
    for code in ("ValidationException", "AccessDeniedException", "ResourceNotFoundException"):
        assert isinstance(storage_error(PutError("x", client_error(code))), errors.UpstreamRejected)
    assert isinstance(storage_error(ParamValidationError(report="bad")), errors.UpstreamRejected)


def test_a_transaction_cancelled_for_contention_or_throttling_is_retryable_and_for_a_condition_a_conflict() -> None:
    assert isinstance(storage_error(cancelled(None, "TransactionConflict")), errors.UpstreamUnavailable)
    assert isinstance(storage_error(cancelled("ThrottlingError", None)), errors.UpstreamUnavailable)
    assert isinstance(storage_error(cancelled("ConditionalCheckFailed", None)), errors.Conflict)


def test_a_data_access_function_lets_only_domain_errors_out() -> None:
    @storage_edge
    def read_throttled() -> None:
        raise GetError(
            "Failed to get item", client_error("ProvisionedThroughputExceededException", operation="GetItem")
        )

    @storage_edge
    def read_missing() -> None:
        raise errors.NotFound("No such order.")

    with pytest.raises(errors.UpstreamUnavailable):
        read_throttled()
    with pytest.raises(errors.NotFound):
        read_missing()
