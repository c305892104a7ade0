"""CloudFormation intrinsics: find them, substitute known values into them, evaluate the simple ones offline."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

INTRINSIC_KEYS = frozenset(
    {"Ref", "Condition"}
    | {f"Fn::{name}" for name in ("GetAtt", "Sub", "Join", "If", "Select", "Split", "Base64")}
    | {f"Fn::{name}" for name in ("FindInMap", "GetAZs", "ImportValue", "Equals", "Not", "And", "Or", "Cidr")}
)
PSEUDO_PREFIX = "AWS::"
NO_VALUE = "AWS::NoValue"
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class UnresolvableIntrinsic(ValueError):
    """An intrinsic refers to something the offline evaluator does not know."""


def is_intrinsic(node: Any) -> bool:
    """A one-key dict whose key is an intrinsic function (or Ref)."""
    return isinstance(node, dict) and len(node) == 1 and next(iter(node)) in INTRINSIC_KEYS


def getatt_parts(value: Any) -> tuple[str, str]:
    """`Fn::GetAtt` accepts both `[Id, Attr]` and `"Id.Attr"`."""
    if isinstance(value, str):
        logical_id, attribute = value.split(".", 1)
        return logical_id, attribute
    return str(value[0]), str(value[1])


def walk_intrinsics(node: Any) -> Iterator[dict[str, Any]]:
    """Every outermost intrinsic inside `node` (nested ones are part of their parent)."""
    if is_intrinsic(node):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from walk_intrinsics(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_intrinsics(value)


def referenced_ids(node: Any) -> set[str]:
    """Logical ids (and parameters) that `node` refers to through Ref, GetAtt or `${…}` in Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(getatt_parts(value)[0])
            elif key == "Fn::Sub":
                template, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                names = {match.split(".", 1)[0] for match in _SUB_VARIABLE.findall(template)}
                found |= names - set(variables)
                found |= referenced_ids(variables)
            else:
                found |= referenced_ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= referenced_ids(value)
    return {name for name in found if not name.startswith(PSEUDO_PREFIX)}


def substitute(node: Any, values: Mapping[str, Mapping[str, str]]) -> Any:
    """A copy of `node` with Ref/GetAtt/`${X}`/`${X.Attr}` of the ids in `values` replaced by literals.

    `values[logical_id]` maps `"Ref"` and attribute names to strings.
    """
    if isinstance(node, list):
        return [substitute(value, values) for value in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        key, value = next(iter(node.items()))
        if key == "Ref" and isinstance(value, str) and value in values:
            return values[value]["Ref"]
        if key == "Fn::GetAtt":
            logical_id, attribute = getatt_parts(value)
            if logical_id in values:
                return values[logical_id][attribute]
        if key == "Fn::Sub":
            return {"Fn::Sub": _substitute_sub(value, values)}
    return {key: substitute(value, values) for key, value in node.items()}


def _substitute_sub(value: Any, values: Mapping[str, Mapping[str, str]]) -> Any:
    template, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        logical_id, _, attribute = name.partition(".")
        if name in variables or logical_id not in values:
            return match.group(0)
        return values[logical_id][attribute or "Ref"]

    text = _SUB_VARIABLE.sub(replace, template)
    return text if isinstance(value, str) else [text, substitute(variables, values)]


class OfflineEvaluator:
    """Evaluates intrinsics that need only parameters, pseudo parameters, conditions and known resources."""

    def __init__(
        self,
        parameters: Mapping[str, Any],
        pseudo: Mapping[str, str],
        conditions: Mapping[str, Any],
        known: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._parameters = parameters
        self._pseudo = pseudo
        self._conditions = conditions
        self.known: dict[str, Mapping[str, str]] = dict(known or {})
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._getatt,
            "Fn::Sub": self._sub,
            "Fn::Join": lambda v: str(self.evaluate(v[0])).join(str(p) for p in self.evaluate(v[1])),
            "Fn::Select": lambda v: self.evaluate(v[1])[int(self.evaluate(v[0]))],
            "Fn::Split": lambda v: str(self.evaluate(v[1])).split(str(self.evaluate(v[0]))),
            "Fn::If": lambda v: self.evaluate(v[1] if self.condition(v[0]) else v[2]),
            "Fn::Equals": lambda v: str(self.evaluate(v[0])) == str(self.evaluate(v[1])),
            "Fn::Not": lambda v: not self.evaluate(v[0]),
            "Fn::And": lambda v: all(self.evaluate(item) for item in v),
            "Fn::Or": lambda v: any(self.evaluate(item) for item in v),
            "Condition": self.condition,
        }

    def condition(self, name: str) -> bool:
        """The value of a named condition of the template."""
        return bool(self.evaluate(self._conditions[name]))

    def evaluate(self, node: Any) -> Any:
        """`node` with every intrinsic evaluated; `AWS::NoValue` removes the key or item."""
        if isinstance(node, list):
            return [item for item in (self.evaluate(value) for value in node) if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if is_intrinsic(node):
            key, value = next(iter(node.items()))
            if key not in self._functions:
                raise UnresolvableIntrinsic(f"{key} is not supported offline")
            return self._functions[key](value)
        evaluated = {key: self.evaluate(value) for key, value in node.items()}
        return {key: value for key, value in evaluated.items() if value is not _NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == NO_VALUE:
            return _NO_VALUE
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._parameters:
            return self._parameters[name]
        if name in self.known:
            return self.known[name]["Ref"]
        raise UnresolvableIntrinsic(f"Ref {name} is not known offline")

    def _getatt(self, value: Any) -> str:
        logical_id, attribute = getatt_parts(value)
        if logical_id not in self.known or attribute not in self.known[logical_id]:
            raise UnresolvableIntrinsic(f"GetAtt {logical_id}.{attribute} is not known offline")
        return self.known[logical_id][attribute]

    def _sub(self, value: Any) -> str:
        template, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
        local_values = {name: self.evaluate(item) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local_values:
                return str(local_values[name])
            if "." in name:
                return self._getatt(name)
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, template).replace("${!", "${")


class _NoValue:
    """Marker for `Ref AWS::NoValue`."""


_NO_VALUE = _NoValue()


def _choose_branches(node: Any, evaluator: OfflineEvaluator) -> Any:
    if isinstance(node, list):
        return [item for item in (_choose_branches(value, evaluator) for value in node) if item is not _NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) == 1 and "Fn::If" in node:
        name, when_true, when_false = node["Fn::If"]
        return _choose_branches(when_true if evaluator.condition(name) else when_false, evaluator)
    if node == {"Ref": NO_VALUE}:
        return _NO_VALUE
    chosen = {key: _choose_branches(value, evaluator) for key, value in node.items()}
    return {key: value for key, value in chosen.items() if value is not _NO_VALUE}


def apply_conditions(template: dict[str, Any], evaluator: OfflineEvaluator) -> dict[str, Any]:
    """The template as deployed: resources and outputs whose Condition is false removed, `Fn::If` decided."""
    applied = dict(template)
    for section in ("Resources", "Outputs"):
        kept = {}
        for logical_id, entry in template.get(section, {}).items():
            if "Condition" in entry and not evaluator.condition(entry["Condition"]):
                continue
            kept[logical_id] = _choose_branches({k: v for k, v in entry.items() if k != "Condition"}, evaluator)
        applied[section] = kept
    applied.pop("Conditions", None)
    return applied
