"""A copy of template.yaml with one grant taken out: to show that the flow which needs it fails locally."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from local.aws.template import TEMPLATE_PATH, load_template

_LOCAL_PATHS = ("CodeUri", "ContentUri", "DefinitionUri")


def _absolute_paths(template: dict[str, Any], base: Path) -> None:
    """The copy lives elsewhere: code and definition paths point back at the project."""
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in _LOCAL_PATHS:
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = str((base / props[key]).resolve())
    function_globals = template.get("Globals", {}).get("Function", {})
    if isinstance(function_globals.get("CodeUri"), str):
        function_globals["CodeUri"] = str((base / function_globals["CodeUri"]).resolve())


def without_action(function: str, action: str, dest: Path, source: Path = TEMPLATE_PATH) -> Path:
    """Write to `dest` the template without `action` in `function`'s inline statements; LookupError if none has it."""
    template = copy.deepcopy(load_template(source))
    removed = False
    policies = template["Resources"][function]["Properties"].get("Policies", [])
    for policy in policies:
        if not isinstance(policy, dict) or "Statement" not in policy:
            continue
        kept = []
        for statement in policy["Statement"]:
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            left = [name for name in actions if name != action]
            removed = removed or len(left) < len(actions)
            if left:
                kept.append({**statement, "Action": left})
        policy["Statement"] = kept
    template["Resources"][function]["Properties"]["Policies"] = [p for p in policies if p != {"Statement": []}]
    if not removed:
        raise LookupError(f"{function} has no inline statement granting {action}")
    _absolute_paths(template, source.resolve().parent)
    dest.write_text(json.dumps(template, indent=1))
    return dest
