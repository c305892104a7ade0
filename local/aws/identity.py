"""Local sign-in: a staff user and a non-staff user in the authorizer's user pool, with fresh tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STAFF_GROUP = "staff"
_PASSWORD = "Local-Stack-Passw0rd"  # noqa: S105 - local users only; meets the template's password policy


@dataclass(frozen=True)
class LocalUser:
    """A signed-in user: credentials and the tokens Cognito issued."""

    username: str
    password: str
    groups: tuple[str, ...]
    id_token: str
    access_token: str


def pool_id_of(issuer: str) -> str:
    """`https://cognito-idp.<region>.amazonaws.com/<pool id>` → the pool id."""
    return issuer.rstrip("/").rsplit("/", 1)[1]


def sign_in(cognito: Any, pool_id: str, client_id: str, username: str, password: str) -> dict[str, str]:
    """ADMIN_USER_PASSWORD_AUTH → the AuthenticationResult (IdToken, AccessToken, …)."""
    answer = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    result: dict[str, str] = answer["AuthenticationResult"]
    return result


def create_user(cognito: Any, pool_id: str, client_id: str, username: str, groups: tuple[str, ...] = ()) -> LocalUser:
    """A confirmed user with a permanent password, in `groups`, signed in."""
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": username}, {"Name": "email_verified", "Value": "true"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=_PASSWORD, Permanent=True)
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    tokens = sign_in(cognito, pool_id, client_id, username, _PASSWORD)
    return LocalUser(username, _PASSWORD, groups, tokens["IdToken"], tokens["AccessToken"])
