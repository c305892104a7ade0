"""Authentication, token expiry, machine users, the paid-plan 403 and the org check."""

from __future__ import annotations

import time

from tests.contract.support import ORG_ID, PASSWORD, PROJECTS, USERNAME, WEBHOOKS, Api


def test_valid_credentials_return_a_token_the_user_and_the_org_id(anonymous: Api) -> None:
    # when
    response = anonymous.post("/api-token-auth/", json={"username": USERNAME, "password": PASSWORD})
    # then
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["token"], str)
    assert body["token"]
    assert body["user"]["username"] == USERNAME
    assert isinstance(body["user"]["id"], int)
    assert body["org_id"] == ORG_ID


def test_a_wrong_password_is_a_400_with_a_non_field_error(anonymous: Api) -> None:
    # when
    response = anonymous.post("/api-token-auth/", json={"username": USERNAME, "password": "nope"})
    # then
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_missing_credentials_name_each_missing_field(anonymous: Api) -> None:
    # when
    response = anonymous.post("/api-token-auth/", json={})
    # then
    assert response.status_code == 400
    assert response.json() == {"username": ["This field is required."], "password": ["This field is required."]}


def test_a_call_without_a_token_is_a_401_with_a_detail(anonymous: Api) -> None:
    # when
    response = anonymous.get(PROJECTS)
    # then
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_an_unknown_token_is_a_401(anonymous: Api) -> None:
    # given
    anonymous.token = "0" * 40
    # when
    response = anonymous.get(PROJECTS)
    # then
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_valid_token_sent_with_the_token_scheme_instead_of_bearer_is_a_401(api: Api) -> None:
    # when
    response = api.get(PROJECTS, headers={"Authorization": f"Token {api.token}"})
    # then
    assert response.status_code == 401


def test_an_expired_token_is_a_401_and_a_fresh_login_makes_the_retry_succeed(api: Api) -> None:
    # given a token that worked
    assert api.get(PROJECTS).status_code == 200
    api.control("tokens/expire")
    # when
    expired = api.get(PROJECTS)
    api.log_in()
    retried = api.get(PROJECTS)
    # then
    assert expired.status_code == 401
    assert expired.json() == {"detail": "Token has expired."}
    assert retried.status_code == 200


def test_an_ordinary_token_expires_after_the_configured_lifetime(api: Api) -> None:
    # given a token issued under a short lifetime, which works at first
    api.control("tokens", {"lifetime_s": 0.5})
    api.log_in()
    assert api.get(PROJECTS).status_code == 200
    # when
    time.sleep(0.55)
    response = api.get(PROJECTS)
    # then
    assert response.status_code == 401


def test_a_machine_users_token_outlives_the_token_lifetime(api: Api) -> None:
    # given the API user is marked as a machine user
    user_id = api.post("/api-token-auth/", json={"username": USERNAME, "password": PASSWORD}).json()["user"]["id"]
    marked = api.patch(f"/auth/users/{user_id}/", json={"is_machine_user": True})
    api.control("tokens", {"lifetime_s": 0.2})
    # when
    time.sleep(0.3)
    response = api.get(PROJECTS)
    # then
    assert marked.status_code == 200
    assert marked.json()["is_machine_user"] is True
    assert response.status_code == 200


def test_an_unpaid_org_gets_a_403_with_a_plan_message_on_every_api_call(api: Api) -> None:
    # given
    api.control("plan", {"paid": False})
    # when
    answers = [api.get(PROJECTS), api.post(PROJECTS, json={"address": "1 Main Rd"}), api.get(WEBHOOKS)]
    # then
    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert all("paid plan" in answer.json()["detail"] for answer in answers)
    assert api.get(PROJECTS).status_code == 403


def test_paying_again_restores_api_access_with_the_same_token(api: Api) -> None:
    # given
    api.control("plan", {"paid": False})
    assert api.get(PROJECTS).status_code == 403
    # when
    api.control("plan", {"paid": True})
    # then
    assert api.get(PROJECTS).status_code == 200


def test_another_orgs_projects_are_forbidden(api: Api) -> None:
    # when
    response = api.get("/api/orgs/999/projects/")
    # then
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}
