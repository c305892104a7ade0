"""The HTTP adapter behaves like API Gateway's HTTP API: routes, JWT authorizer, and what reaches the handler."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import moto.cognitoidp

from tests.e2e.conftest import Api

PRODUCT = {
    "sku": "E2E-PANEL",
    "name": "E2E 410 W Panel",
    "category": "solar_panel",
    "specs": {"power_w": 410},
}
UNAUTHORIZED = {"message": "Unauthorized"}
NOT_FOUND = {"message": "Not Found"}


def signed_like_cognito(token: str, **changes: Any) -> str:
    """The token's claims with `changes`, signed with moto's Cognito key (the key its JWKS publishes)."""
    claims = jwt.decode(token, options={"verify_signature": False}) | changes
    keys_file = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    private_key = jwt.algorithms.RSAAlgorithm.from_jwk(json.loads(gzip.decompress(keys_file.read_bytes())))
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": "dummy"})  # type: ignore[arg-type]


def new_product(api: Api) -> str:
    product_id = f"E2E-{uuid.uuid4().hex[:8]}"
    answer = api.request("PUT", f"/products/{product_id}", json=PRODUCT)
    assert answer.status_code == 201, answer.text
    return product_id


def test_a_request_without_a_token_is_refused_by_the_authorizer(api: Api) -> None:
    answer = api.request("GET", "/products/ANY", token="")
    assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED)


def test_a_tampered_token_is_refused(api: Api) -> None:
    header, _payload, signature = api.token.split(".")
    forged = jwt.decode(api.token, options={"verify_signature": False}) | {"cognito:groups": ["staff", "admin"]}
    forged_payload = jwt.utils.base64url_encode(json.dumps(forged).encode()).decode()
    answer = api.request("GET", "/products/ANY", token=f"{header}.{forged_payload}.{signature}")
    assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED)


def test_an_expired_token_is_refused_while_the_same_token_unexpired_passes(api: Api) -> None:
    now = int(time.time())
    expired = signed_like_cognito(api.token, iat=now - 7200, exp=now - 60)
    fresh = signed_like_cognito(api.token, iat=now, exp=now + 600)
    assert (api.request("GET", "/products/ANY", token=expired).json()) == UNAUTHORIZED
    assert api.request("GET", "/products/ANY", token=fresh).status_code == 404  # the handler's "no such product"


def test_a_token_for_another_audience_or_issuer_is_refused(api: Api) -> None:
    other_audience = signed_like_cognito(api.token, aud="another-app-client")
    other_issuer = signed_like_cognito(api.token, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other")
    for token in (other_audience, other_issuer):
        answer = api.request("GET", "/products/ANY", token=token)
        assert (answer.status_code, answer.json()) == (401, UNAUTHORIZED)


def test_the_staff_token_reaches_the_handler(api: Api) -> None:
    product_id = new_product(api)
    answer = api.request("GET", f"/products/{product_id}")
    assert answer.status_code == 200
    assert answer.json()["sku"] == PRODUCT["sku"]


def test_an_access_token_is_accepted_by_its_client_id(api: Api, local_stack: dict[str, Any]) -> None:
    answer = api.request("GET", "/products/ANY", token=local_stack["staff_access_token"])
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


def test_a_user_without_the_staff_group_is_forbidden_on_admin_routes_by_the_handler(
    api: Api, local_stack: dict[str, Any]
) -> None:
    product_id = new_product(api)
    user_token = local_stack["user_token"]
    refused = api.request("PUT", f"/products/{product_id}", token=user_token, json=PRODUCT)
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    assert api.request("GET", f"/products/{product_id}", token=user_token).status_code == 200


def test_unknown_routes_and_methods_get_api_gateways_not_found(api: Api) -> None:
    for method, path in [("GET", "/no-such-thing"), ("PATCH", "/products/X"), ("GET", "/products/X/extra")]:
        answer = api.request(method, path)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND), (method, path)


def test_paths_answer_with_and_without_the_trailing_slash_and_below_the_stage(
    api: Api, local_stack: dict[str, Any]
) -> None:
    product_id = new_product(api)
    stage = local_stack["parameters"]["Environment"]
    for path in (f"/products/{product_id}", f"/products/{product_id}/", f"/{stage}/products/{product_id}"):
        answer = api.request("GET", path)
        assert answer.status_code == 200, path
        assert answer.json()["id"] == product_id


def test_query_parameters_reach_the_handler(api: Api) -> None:
    product_a, product_b, product_c = new_product(api), new_product(api), new_product(api)
    for other in (product_b, product_c):
        body = {"product_a_id": product_a, "product_b_id": other, "rule_type": "COMPATIBLE"}
        assert api.request("POST", "/products/compatibility/rules/", json=body).status_code == 201
    answer = api.request("GET", "/products/compatibility/rules", params={"product_id": product_b})
    assert answer.status_code == 200
    assert [rule["product_b_id"] for rule in answer.json()["items"]] == [product_b]


def test_a_handler_error_answer_is_passed_through_with_its_status_and_body(api: Api) -> None:
    answer = api.request("PUT", "/products/E2E-BAD", data="{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"] == "invalid_input"
