"""The error answers AWS gives when it throttles or fails, shaped per service and protocol as botocore parses them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse

# (error code, HTTP status) each service throttles with; DynamoDB has two, one per kind of capacity.
THROTTLING: dict[str, tuple[tuple[str, int], ...]] = {
    "dynamodb": (("ProvisionedThroughputExceededException", 400), ("ThrottlingException", 400)),
    "sqs": (("RequestThrottled", 400),),
    "sns": (("Throttled", 429),),
    "sesv2": (("TooManyRequestsException", 429),),
    "ses": (("Throttling", 400),),
    "stepfunctions": (("ThrottlingException", 400),),
    "secretsmanager": (("ThrottlingException", 400),),
    "ssm": (("ThrottlingException", 400),),
    "cognito-idp": (("TooManyRequestsException", 400),),
}
DEFAULT_THROTTLING = (("ThrottlingException", 400),)
SERVER_ERRORS: dict[str, tuple[tuple[str, int], ...]] = {
    "dynamodb": (("InternalServerError", 500),),
    "sqs": (("InternalError", 500), ("ServiceUnavailable", 503)),
    "sns": (("InternalError", 500),),
}
DEFAULT_SERVER_ERRORS = (("InternalFailure", 500), ("ServiceUnavailable", 503))
# Protocols whose error bodies are built here (metrics go out as EMF log lines, not CloudWatch's CBOR API).
PROTOCOLS = ("json", "rest-json", "query")


class _Body:
    """What botocore reads an answer's body through (`raw.stream()`)."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_options: Any) -> Iterator[bytes]:
        yield self._content


def error_answer(url: str, protocol: str, code: str, status: int, message: str) -> AWSResponse:
    """An AWS error answer as the protocol spells it."""
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>{'Sender' if status < 500 else 'Receiver'}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers["Content-Type"] = "text/xml"
    elif protocol == "rest-json":
        body = json.dumps({"message": message}).encode()
        headers |= {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    else:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers["Content-Type"] = "application/x-amz-json-1.0"
    return AWSResponse(url, status, headers, _Body(body))
