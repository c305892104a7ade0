"""Least privilege both ways: per function, what its code used under its role, and every grant it never used.

A grant is one (action pattern, resource pattern) of an Allow statement in the function's role. It is used when some
allowed call matched both. An unused grant passes only with a reason written beside it in `unused_grants.yaml`;
a denied call never passes.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from local.iam.policies import Role

REASONS_FILE = Path(__file__).with_name("unused_grants.yaml")


@dataclass(frozen=True)
class Grant:
    """One action pattern on one resource pattern, from one policy of a role."""

    policy: str
    action: str
    resource: str

    def covers(self, action: str, resource: str) -> bool:
        return fnmatch.fnmatchcase(action.lower(), self.action.lower()) and fnmatch.fnmatchcase(resource, self.resource)


@dataclass(frozen=True)
class Reason:
    """Why a grant may stay unused: for `function` ("*" for all), an action glob and a resource glob."""

    function: str
    action: str
    resource: str
    why: str

    def excuses(self, function: str, grant: Grant) -> bool:
        return (
            fnmatch.fnmatchcase(function, self.function)
            and fnmatch.fnmatchcase(grant.action.lower(), self.action.lower())
            and fnmatch.fnmatchcase(grant.resource, self.resource)
        )


def load_reasons(path: Path = REASONS_FILE) -> list[Reason]:
    """The kept list: entries of function (optional, default every one), action, resource (optional) and why."""
    entries = yaml.safe_load(path.read_text()) or []
    return [
        Reason(str(e.get("function", "*")), str(e["action"]), str(e.get("resource", "*")), str(e["why"]).strip())
        for e in entries
    ]


def grants(role: Role) -> list[Grant]:
    """Every (action, resource) pair the role's Allow statements name."""
    found: list[Grant] = []
    for statement in role.statements:
        if statement.effect != "Allow" or "NotAction" in statement.document:
            continue
        for action in statement.actions():
            found.extend(Grant(statement.policy, action, resource) for resource in statement.resources())
    return list(dict.fromkeys(found))


@dataclass
class FunctionReport:
    """One function's lines of the report."""

    function: str
    used: list[dict[str, Any]] = field(default_factory=list)
    granted: int = 0
    unused: list[tuple[Grant, str | None]] = field(default_factory=list)  # the grant and its reason, if kept
    denied: list[dict[str, str]] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Grant]:
        return [grant for grant, why in self.unused if why is None]


@dataclass
class Report:
    """Every function's report; `ok` when nothing was denied and every unused grant has a reason."""

    functions: list[FunctionReport]
    unchecked: list[str]

    @property
    def ok(self) -> bool:
        return not self.unchecked and all(not f.denied and not f.unexplained for f in self.functions)

    def lines(self) -> Iterable[str]:
        for report in self.functions:
            yield (
                f"{report.function}: {len(report.used)} (action, resource) used; {report.granted} grants, "
                f"{len(report.unused)} never used ({len(report.unexplained)} without a reason)"
            )
            for entry in report.used:
                yield f"  used    {entry['action']} on {entry['resource']} ({entry['calls']} calls)"
            for denial in report.denied:
                yield f"  DENIED  {denial['message']}"
            for grant, why in report.unused:
                yield f"  unused  {grant.action} on {grant.resource}: {why or 'NO REASON IN unused_grants.yaml'}"
        for function in self.unchecked:
            yield f"{function}: ran without a role (not checked)"
        yield "IAM check: " + ("every call allowed; every unused grant has a reason" if self.ok else "FAILED")

    def markdown(self) -> str:
        """A table for the soak's report: per function, used / granted / unused / denied."""
        rows = [
            "| function | (action, resource) used | grants | unused (with reason) | denied |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for r in self.functions:
            explained = len(r.unused) - len(r.unexplained)
            rows.append(
                f"| {r.function} | {len(r.used)} | {r.granted} | {len(r.unused)} ({explained}) | {len(r.denied)} |"
            )
        return "\n".join(rows)


def build(roles: Mapping[str, Role], usage: Mapping[str, Any], reasons: list[Reason] | None = None) -> Report:
    """The report of one run: `usage` as `Usage.as_json` wrote it, `roles` by function logical id."""
    kept = load_reasons() if reasons is None else reasons
    reports = []
    for function, role in sorted(roles.items()):
        used = [entry for entry in usage["used"] if entry["function"] == function]
        report = FunctionReport(function, used=used, denied=[d for d in usage["denied"] if d["function"] == function])
        role_grants = grants(role)
        report.granted = len(role_grants)
        for grant in role_grants:
            if any(grant.covers(entry["action"], entry["resource"]) for entry in used):
                continue
            why = next((reason.why for reason in kept if reason.excuses(function, grant)), None)
            report.unused.append((grant, why))
        reports.append(report)
    return Report(reports, list(usage.get("unchecked", [])))
