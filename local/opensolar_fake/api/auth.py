"""Users and bearer tokens: login, token lifetime and expiry, machine users whose tokens never expire."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass

from local.opensolar_fake.errors import ApiError

DEFAULT_TOKEN_LIFETIME_S = 7 * 24 * 3600.0
_WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="api"'}


@dataclass
class User:
    """An OpenSolar user of the organisation."""

    id: int
    username: str
    password: str
    org_id: int
    is_machine_user: bool = False

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "email": self.username,
            "first_name": "",
            "last_name": "",
            "is_machine_user": self.is_machine_user,
            "is_staff": False,
        }


@dataclass
class Token:
    key: str
    user_id: int
    issued_at: float
    revoked: bool = False


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, {"detail": detail}, _WWW_AUTHENTICATE)


class Accounts:
    """The org's users and the tokens issued to them. Callers hold the org lock."""

    def __init__(self, token_lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S) -> None:
        self.token_lifetime_s = token_lifetime_s
        self._users: dict[int, User] = {}
        self._tokens: dict[str, Token] = {}
        self._user_ids = itertools.count(501)

    def add_user(self, username: str, password: str, org_id: int) -> User:
        if any(user.username == username for user in self._users.values()):
            raise ApiError(400, {"username": ["A user with that username already exists."]})
        user = User(id=next(self._user_ids), username=username, password=password, org_id=org_id)
        self._users[user.id] = user
        return user

    def user(self, user_id: int) -> User | None:
        return self._users.get(user_id)

    def login(self, username: str, password: str) -> tuple[str, User]:
        user = next((user for user in self._users.values() if user.username == username), None)
        if user is None or not secrets.compare_digest(user.password, password):
            raise ApiError(400, {"non_field_errors": ["Unable to log in with provided credentials."]})
        token = Token(key=secrets.token_hex(20), user_id=user.id, issued_at=time.monotonic())
        self._tokens[token.key] = token
        return token.key, user

    def authenticate(self, authorization: str | None) -> User:
        if not authorization:
            raise _unauthorized("Authentication credentials were not provided.")
        scheme, _, key = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise _unauthorized("Authentication credentials were not provided.")
        key = key.strip()
        if not key or " " in key:
            raise _unauthorized("Invalid token header. No credentials provided.")
        token = self._tokens.get(key)
        user = self._users.get(token.user_id) if token else None
        if token is None or user is None:
            raise _unauthorized("Invalid token.")
        expired = not user.is_machine_user and time.monotonic() - token.issued_at > self.token_lifetime_s
        if token.revoked or expired:
            raise _unauthorized("Token has expired.")
        return user

    def expire_all(self) -> int:
        """Expire every issued token, machine users' included (a revocation, as after a password change)."""
        live = [token for token in self._tokens.values() if not token.revoked]
        for token in live:
            token.revoked = True
        return len(live)

    def reset(self, *, token_lifetime_s: float, drop_tokens: bool) -> None:
        self.token_lifetime_s = token_lifetime_s
        for user in self._users.values():
            user.is_machine_user = False
        if drop_tokens:
            self._tokens.clear()
