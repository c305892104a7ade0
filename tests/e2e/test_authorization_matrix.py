"""The authorization matrix through the local stack: every operation openapi.json documents, called with no token, an
expired one, one from another user pool, a forged one, a non-staff one and a staff one; and the webhook with a missing,
a wrong and a rotated-out secret. The operations come from openapi.json, so a new route is covered without an edit.

API Gateway's authorizer answers the token rows itself (`{"message": "Unauthorized"}`, as openapi.json documents);
the `staff` group is checked by the function (403 in the contract's error body); a staff caller gets an answer
openapi.json documents for the operation (made-up ids: 404, empty bodies: 400).
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from local.aws.identity import create_user
from local.aws.template import ROOT
from tests.e2e.conftest import Api

DOCUMENT: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text())
STAFF_GROUP = "staff"
WEBHOOK = "/opensolar/webhook/"
SECRET_HEADER = "X-OpenSolar-Secret"  # noqa: S105 - the header's name, not its value
# Plausible path values: shaped like real ids, stored nowhere.
PATH_VALUES = {"id": "AUTHZ-404-0001", "rule_id": "AUTHZ-RULE-404", "ssr_id": "ISR-AUTHZ404"}
TOKENS_REFUSED_BY_THE_GATEWAY = ("none", "expired", "other_pool", "forged")


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in sorted(DOCUMENT["paths"].items()):
        for method, operation in sorted(item.items()):
            if operation.get("security", DOCUMENT.get("security")):  # behind the authorizer
                found.append((method.upper(), path, operation))
    return found


OPERATIONS = _operations()
STAFF_ONLY = [(method, path, op) for method, path, op in OPERATIONS if op.get("x-required-group") == STAFF_GROUP]
OPEN_TO_SIGNED_IN = [(method, path, op) for method, path, op in OPERATIONS if op.get("x-required-group") is None]


def _label(operation: tuple[str, str, dict[str, Any]]) -> str:
    return f"{operation[0]} {operation[1]}"


def concrete_path(path: str, operation: dict[str, Any]) -> str:
    """The path with each `{name}` filled, and the required query parameters, as a client would send them."""
    query = []
    for parameter in operation.get("parameters", []):
        value = PATH_VALUES.get(parameter["name"], f"AUTHZ-{parameter['name']}")
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", value)
        elif parameter["in"] == "query" and parameter.get("required"):
            query.append(f"{parameter['name']}={value}")
    return path + ("?" + "&".join(query) if query else "")


def documented(operation: dict[str, Any], status: int) -> bool:
    responses = operation["responses"]
    return str(status) in responses or f"{status // 100}XX" in responses or "default" in responses


# ---------------------------------------------------------------- tokens


def _moto_signing_key() -> jwt.PyJWK:
    """moto's Cognito signs every pool's tokens with this key (its JWKS serves the public half)."""
    resource = importlib.resources.files("moto.cognitoidp") / "resources" / "jwks-private.json.gz"
    return jwt.PyJWK(json.loads(gzip.decompress(resource.read_bytes())))


def reissued(token: str, *, expires_in_s: int, key: Any = None) -> str:
    """The token's claims and header signed again with `expires_in_s` left (negative: expired that long ago), by the
    key that signed it unless another `key` is given."""
    claims = jwt.decode(token, options={"verify_signature": False})
    header = jwt.get_unverified_header(token)
    now = int(time.time())
    issued = min(now, now + expires_in_s) - 3600
    claims |= {"iat": issued, "auth_time": issued, "exp": now + expires_in_s}
    signing = key if key is not None else _moto_signing_key().key
    return jwt.encode(claims, signing, algorithm="RS256", headers={"kid": header["kid"]})


@pytest.fixture(scope="module")
def tokens(local_stack: dict[str, Any], aws: Callable[[str], Any]) -> dict[str, str]:
    """A bearer token of each kind; "none" sends no Authorization header."""
    cognito = aws("cognito-idp")
    resources = local_stack["resources"]
    customer = create_user(
        cognito,
        resources["CustomerUserPool"],
        resources["CustomerUserPoolClient"],
        f"authz-{uuid.uuid4().hex[:8]}@example.com",
    )
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "none": "",
        "expired": reissued(local_stack["staff_token"], expires_in_s=-3600),
        "other_pool": customer.id_token,
        "forged": reissued(local_stack["staff_token"], expires_in_s=3600, key=stranger_key),
        "non_staff": local_stack["user_token"],
        "staff": local_stack["staff_token"],
    }


# ---------------------------------------------------------------- shared state left alone


@pytest.fixture(scope="module")
def bodies(api: Api) -> dict[str, Any]:
    """What each operation with a request body is sent: `{}` (refused as invalid), except a PUT of the config, which
    replaces the whole config and so gets the current one back."""
    config = api.request("GET", "/opensolar/config")
    assert config.status_code == 200
    return {"PUT /opensolar/config": config.json()}


@pytest.fixture(scope="module", autouse=True)
def shared_state_restored(api: Api) -> Iterator[None]:
    """The staff calls register or disable our webhook in OpenSolar; the module leaves it as it found it."""
    before = api.request("GET", "/opensolar/webhook-registration")
    was_enabled = before.status_code == 200 and before.json()["enabled"]
    yield
    now = api.request("GET", "/opensolar/webhook-registration")
    is_enabled = now.status_code == 200 and now.json()["enabled"]
    if is_enabled != was_enabled:
        answer = api.request("PUT" if was_enabled else "DELETE", "/opensolar/webhook-registration")
        assert answer.status_code == 200, answer.text


def call(api: Api, operation: tuple[str, str, dict[str, Any]], token: str, bodies: dict[str, Any]) -> requests.Response:
    method, path, documented_operation = operation
    kwargs: dict[str, Any] = {}
    if "requestBody" in documented_operation:
        kwargs["json"] = bodies.get(_label(operation), {})
    return api.request(method, concrete_path(path, documented_operation), token=token, **kwargs)


# ---------------------------------------------------------------- the matrix


def test_the_document_has_operations_of_both_kinds_behind_the_authorizer() -> None:
    assert STAFF_ONLY
    assert OPEN_TO_SIGNED_IN
    assert all("401" in operation["responses"] for _, _, operation in OPERATIONS)


@pytest.mark.parametrize("kind", TOKENS_REFUSED_BY_THE_GATEWAY)
@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_a_missing_expired_foreign_or_forged_token_gets_the_gateways_documented_401(
    api: Api,
    tokens: dict[str, str],
    bodies: dict[str, Any],
    operation: tuple[str, str, dict[str, Any]],
    kind: str,
) -> None:
    # given a token API Gateway's authorizer must refuse (or none)
    token = tokens[kind]
    # when the operation is called with it
    answer = call(api, operation, token, bodies)
    # then the gateway answers 401 with its own body, which openapi.json documents
    assert answer.status_code == 401, f"{_label(operation)} with a {kind} token: {answer.status_code} {answer.text}"
    assert answer.json() == {"message": "Unauthorized"}
    schema = operation[2]["responses"]["401"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/GatewayMessage"}


@pytest.mark.parametrize("operation", STAFF_ONLY, ids=_label)
def test_a_signed_in_user_outside_the_staff_group_gets_403_on_a_staff_route(
    api: Api, tokens: dict[str, str], bodies: dict[str, Any], operation: tuple[str, str, dict[str, Any]]
) -> None:
    # when a valid token of the staff pool, of a user not in the group, calls a staff-only operation
    answer = call(api, operation, tokens["non_staff"], bodies)
    # then the function refuses it with 403 in the contract's error body, before reading the body
    assert answer.status_code == 403, f"{_label(operation)}: {answer.status_code} {answer.text}"
    assert answer.json()["error"] == "forbidden"
    assert isinstance(answer.json()["message"], str)


@pytest.mark.parametrize("operation", OPEN_TO_SIGNED_IN, ids=_label)
def test_a_signed_in_user_outside_the_staff_group_gets_the_documented_answer_elsewhere(
    api: Api, tokens: dict[str, str], bodies: dict[str, Any], operation: tuple[str, str, dict[str, Any]]
) -> None:
    answer = call(api, operation, tokens["non_staff"], bodies)
    assert answer.status_code not in (401, 403), f"{_label(operation)}: {answer.status_code} {answer.text}"
    assert documented(operation[2], answer.status_code), f"{_label(operation)}: {answer.status_code} undocumented"


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_staff_get_an_answer_the_document_lists_for_the_operation(
    api: Api, tokens: dict[str, str], bodies: dict[str, Any], operation: tuple[str, str, dict[str, Any]]
) -> None:
    answer = call(api, operation, tokens["staff"], bodies)
    assert answer.status_code not in (401, 403), f"{_label(operation)}: {answer.status_code} {answer.text}"
    assert documented(operation[2], answer.status_code), f"{_label(operation)}: {answer.status_code} undocumented"


def test_the_expired_token_is_refused_for_its_expiry_alone(api: Api, local_stack: dict[str, Any]) -> None:
    # given the staff token signed again the same way, but still valid for an hour
    current = reissued(local_stack["staff_token"], expires_in_s=3600)
    # when it calls a staff route, then it is accepted: only `exp` made the expired one a 401
    assert api.request("GET", "/opensolar/config", token=current).status_code == 200


# ---------------------------------------------------------------- the webhook (no authorizer: the secret)


def contact_delivery() -> dict[str, Any]:
    """A delivery the receiver stores and ignores (a Contact), new each time."""
    return {
        "timestamp": str(int(time.time())),
        "model": "Contact",
        "model_id": 7301,
        "event": "CREATE",
        "event_id": uuid.uuid4().int % 10**9,
        "fields": {"first_name": "Authz"},
    }


def post_webhook(local_stack: dict[str, Any], secret: str | None) -> requests.Response:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    return requests.post(f"{local_stack['api_url']}{WEBHOOK}", json=contact_delivery(), headers=headers, timeout=30)


def assert_refused(answer: requests.Response) -> None:
    assert answer.status_code == 401, answer.text
    body = answer.json()
    assert body["error"] == "unauthenticated"
    assert isinstance(body["message"], str)


@pytest.fixture
def rotated_secret(local_stack: dict[str, Any], aws: Callable[[str], Any]) -> Iterator[tuple[str, str]]:
    """The OpenSolar secret's webhook_secret rotated to a new value: (the previous one, the current one); the
    previous one is put back afterwards, for the rest of the session."""
    manager = aws("secretsmanager")
    secret_id = local_stack["resources"]["OpenSolarSecret"]
    original = manager.get_secret_value(SecretId=secret_id)["SecretString"]
    previous = json.loads(original)["webhook_secret"]
    current = uuid.uuid4().hex * 2
    manager.put_secret_value(
        SecretId=secret_id, SecretString=json.dumps({**json.loads(original), "webhook_secret": current})
    )
    try:
        yield previous, current
    finally:
        manager.put_secret_value(SecretId=secret_id, SecretString=original)
        assert post_webhook(local_stack, previous).status_code == 200  # the receiver has the restored one again


def test_the_webhook_with_its_secret_is_accepted_without_a_token(local_stack: dict[str, Any]) -> None:
    answer = post_webhook(local_stack, local_stack["webhook_secret"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] in ("accepted", "duplicate", "ignored")


@pytest.mark.parametrize("secret", [None, "", "not-the-secret"], ids=["missing", "empty", "wrong"])
def test_the_webhook_without_the_right_secret_is_a_401(local_stack: dict[str, Any], secret: str | None) -> None:
    assert_refused(post_webhook(local_stack, secret))


def test_a_wrong_secret_stays_refused_with_a_staff_token_beside_it(local_stack: dict[str, Any]) -> None:
    # the webhook route has no authorizer: a bearer token proves nothing there
    answer = requests.post(
        f"{local_stack['api_url']}{WEBHOOK}",
        json=contact_delivery(),
        headers={SECRET_HEADER: "not-the-secret", "Authorization": f"Bearer {local_stack['staff_token']}"},
        timeout=30,
    )
    assert_refused(answer)


def test_a_rotated_out_secret_is_a_401_once_the_new_one_is_in_use(
    local_stack: dict[str, Any], rotated_secret: tuple[str, str]
) -> None:
    # given the webhook secret rotated, and OpenSolar sending the new one (the receiver re-reads the secret on a
    # mismatch, so the new one works at once; the previous one lasts only as long as a container's cached copy)
    previous, current = rotated_secret
    answer = post_webhook(local_stack, current)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] in ("accepted", "duplicate", "ignored")
    # when a delivery still carries the previous secret, then it is refused
    assert_refused(post_webhook(local_stack, previous))
