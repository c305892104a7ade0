"""AWS failures turned into domain errors by error code: transient ones are retried by the workflow, others are not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pynamodb.exceptions import PynamoDBException

from solar_core import errors

# Throttling and server-side codes across DynamoDB, SES, Cognito, SNS, SQS and Step Functions.
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
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
        "TransactionInProgressException",
    }
)

_TRANSIENT_TRANSPORT = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_transient(code: str | None, http_status: int) -> bool:
    return code in TRANSIENT_CODES or http_status >= 500


def upstream_error(exc: ClientError | BotoCoreError, service: str) -> errors.DomainError:
    """The domain error for a failed AWS call to `service`: UpstreamUnavailable when retrying may help."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if _is_transient(code, status):
            return errors.UpstreamUnavailable(f"{service} is unavailable or throttling ({code}).")
        return errors.UpstreamRejected(f"{service} refused the request ({code}).")
    if isinstance(exc, _TRANSIENT_TRANSPORT):
        return errors.UpstreamUnavailable(f"{service} could not be reached ({type(exc).__name__}).")
    return errors.UpstreamRejected(f"{service} call failed ({type(exc).__name__}).")


def storage_error(exc: PynamoDBException) -> errors.DomainError:
    """The domain error for a failed DynamoDB call made through pynamodb (the data-access edge)."""
    code = exc.cause_response_code
    if code == "ConditionalCheckFailedException":
        return errors.Conflict("The record changed or already exists.")
    cause = exc.cause
    status = 0
    if isinstance(cause, ClientError):
        status = int(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if _is_transient(code, status) or isinstance(cause, _TRANSIENT_TRANSPORT):
        return errors.UpstreamUnavailable(f"DynamoDB is unavailable or throttling ({code or type(cause).__name__}).")
    return errors.UpstreamRejected(f"DynamoDB refused the request ({code or type(exc).__name__}).")


@contextmanager
def aws_errors(service: str) -> Iterator[None]:
    """Calls into modules that let AWS SDK errors through come out as domain errors (retryable or not)."""
    try:
        yield
    except PynamoDBException as exc:
        raise storage_error(exc) from exc
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, service) from exc
