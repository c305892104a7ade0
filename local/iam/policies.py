"""A function's role as deployed: its inline policies and managed policies, and whether they allow one request.

The statements are read back from moto's IAM after the stack is created, so they are the transformed template's
(SAM policy templates expanded, intrinsics resolved by CloudFormation). AWS managed policies come from moto's copy of
AWS's documents. Each statement is judged by moto's own evaluator (`moto.iam.access_control`), with two corrections
where it departs from IAM: action names match case-insensitively, and an Allow whose condition does not hold is
neutral rather than a denial.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import unquote

AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class Statement:
    """One statement and the policy it belongs to (an inline policy's name or a managed policy's ARN)."""

    policy: str
    document: Mapping[str, Any]

    @property
    def effect(self) -> str:
        return str(self.document.get("Effect", "Allow"))

    def actions(self) -> list[str]:
        return _as_list(self.document.get("Action", []))

    def resources(self) -> list[str]:
        return _as_list(self.document.get("Resource", "*"))

    def matches(self, action: str, resource: str, context: Mapping[str, str]) -> bool:
        """True when this statement speaks about `action` on `resource` with these condition values."""
        from moto.iam.access_control import IAMPolicyStatement, PermissionResult

        normalised = dict(self.document)
        for key in ("Action", "NotAction"):
            if key in normalised:
                normalised[key] = [pattern.lower() for pattern in _as_list(normalised[key])]
        judged = IAMPolicyStatement(normalised)
        if "Condition" in normalised and not judged._check_conditions(dict(context)):
            return False
        allowed = self.effect == "Allow"
        result = judged.is_action_permitted(action.lower(), resource, None, dict(context))
        return result == (PermissionResult.PERMITTED if allowed else PermissionResult.DENIED)


@dataclass(frozen=True)
class Role:
    """A role's name, ARN and every statement of its policies."""

    name: str
    arn: str
    statements: tuple[Statement, ...]
    _decided: dict[tuple[str, str, tuple[tuple[str, str], ...]], Statement | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    def decide(self, action: str, resource: str, context: Mapping[str, str] | None = None) -> Statement | None:
        """The Allow statement that permits the request; None when nothing allows it or a Deny matches (remembered:
        the same request is judged the same way)."""
        key = (action, resource, tuple(sorted((context or {}).items())))
        if key not in self._decided:
            self._decided[key] = self._judge(action, resource, context or {})
        return self._decided[key]

    def _judge(self, action: str, resource: str, values: Mapping[str, str]) -> Statement | None:
        allowing = None
        for statement in self.statements:
            if statement.matches(action, resource, values):
                if statement.effect != "Allow":
                    return None
                allowing = allowing or statement
        return allowing


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@cache
def _aws_managed() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data: dict[str, Any] = json.loads(aws_managed_policies_data)
    return data


def _document(raw: Any) -> dict[str, Any]:
    """boto3 gives a policy document as a dict, or as URL-encoded JSON text (as IAM's API returns it). An inline
    policy that moto's CloudFormation created comes back as Python's text of the document: read as literals only."""
    if not isinstance(raw, str):
        return dict(raw)
    text = unquote(raw)
    try:
        document: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError:
        document = ast.literal_eval(text)
    return document


def _statements(policy: str, document: Mapping[str, Any]) -> Iterator[Statement]:
    entries = document.get("Statement", [])
    for entry in [entries] if isinstance(entries, dict) else entries:
        yield Statement(policy, entry)


def managed_document(iam: Any, arn: str) -> dict[str, Any]:
    """A managed policy's default version: AWS's own from moto's copy, a customer one from IAM."""
    if arn.startswith(AWS_MANAGED_PREFIX):
        name = arn.rsplit("/", 1)[1]
        entry = _aws_managed().get(name)
        if entry is None:
            raise LookupError(f"{arn}: not an AWS managed policy moto knows")
        return dict(entry["Document"])
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    return _document(version["PolicyVersion"]["Document"])


def read_role(iam: Any, role_arn: str) -> Role:
    """The role as IAM holds it (an admin IAM client on the stack's moto)."""
    name = role_arn.rsplit("/", 1)[1]
    statements: list[Statement] = []
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        statements.extend(_statements(policy_name, _document(document)))
    for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        statements.extend(_statements(attached["PolicyArn"], managed_document(iam, attached["PolicyArn"])))
    return Role(name, role_arn, tuple(statements))
