"""Let moto's CloudFormation resolve intrinsics of resources it never sees, by asking for them as stack Outputs."""

from __future__ import annotations

import json
from typing import Any

from local.aws.intrinsics import is_intrinsic, walk_intrinsics

_PREFIX = "LocalResolved"


def _key(node: dict[str, Any]) -> str:
    return json.dumps(node, sort_keys=True)


class SyntheticOutputs:
    """Collects intrinsics as Outputs before `create_stack`, then puts the resolved values back in their place."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._values: dict[str, Any] = {}

    def collect(self, node: Any) -> None:
        """Remember every intrinsic inside `node` (identical ones share one Output)."""
        for intrinsic in walk_intrinsics(node):
            self._names.setdefault(_key(intrinsic), f"{_PREFIX}{len(self._names)}")

    def outputs(self) -> dict[str, dict[str, Any]]:
        """The Outputs section entries to add to the template."""
        return {name: {"Value": json.loads(key)} for key, name in self._names.items()}

    def read(self, stack_outputs: list[dict[str, str]]) -> None:
        """Take the resolved values from `describe_stacks` Outputs."""
        by_name = {output["OutputKey"]: output["OutputValue"] for output in stack_outputs}
        for key, name in self._names.items():
            self._values[key] = by_name[name]

    def resolve(self, node: Any) -> Any:
        """A copy of `node` with every collected intrinsic replaced by its value."""
        if is_intrinsic(node):
            return self._values[_key(node)]
        if isinstance(node, dict):
            return {key: self.resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self.resolve(value) for value in node]
        return node
