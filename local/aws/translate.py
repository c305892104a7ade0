"""SAM → CloudFormation offline: local code paths become placeholder S3 objects, local definitions are inlined."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from local.aws.template import TEMPLATE_PATH, load_template

CODE_BUCKET = "local-code"
_FUNCTION = "AWS::Serverless::Function"
_LAYER = "AWS::Serverless::LayerVersion"
_STATE_MACHINE = "AWS::Serverless::StateMachine"
_APIS = ("AWS::Serverless::HttpApi", "AWS::Serverless::Api")


@dataclass(frozen=True)
class CodeLocation:
    """Where a function's handler lives on disk: `<code_dir>/<module path>.py`, attribute `function`."""

    code_dir: Path
    module_file: Path
    function: str


@dataclass
class Translation:
    """The translated (plain CloudFormation) template and what the translation moved out of it."""

    template: dict[str, Any]
    parameters: dict[str, str]
    code: dict[str, CodeLocation]
    source_ids: dict[str, str]  # translated logical id → the SAM logical id it came from
    layer_dirs: list[Path]


class _NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs; offline there are none to look up."""

    def load(self) -> dict[str, str]:
        return {}


def parameter_values(template: dict[str, Any], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Every template parameter's value: the override if given, else the default."""
    values = {name: str(spec["Default"]) for name, spec in template.get("Parameters", {}).items() if "Default" in spec}
    values.update(overrides or {})
    missing = set(template.get("Parameters", {})) - set(values)
    if missing:
        raise ValueError(f"parameters without a default need a value: {sorted(missing)}")
    return values


def _load_document(path: Path) -> Any:
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def _code_location(base_dir: Path, code_uri: str, handler: str) -> CodeLocation:
    module, _, function = handler.rpartition(".")
    code_dir = (base_dir / code_uri).resolve()
    return CodeLocation(code_dir, code_dir / (module.replace(".", "/") + ".py"), function)


def _rewrite_local_paths(sam: dict[str, Any], base_dir: Path) -> tuple[dict[str, CodeLocation], list[Path]]:
    """Point code at `s3://local-code/<Id>.zip` and inline local definition files (samtranslator wants S3 URIs).

    Relative paths are relative to the template's folder, as in `sam build`.
    """
    function_globals = sam.get("Globals", {}).get("Function", {})
    code: dict[str, CodeLocation] = {}
    layer_dirs: list[Path] = []
    for logical_id, resource in sam["Resources"].items():
        props = resource.setdefault("Properties", {})
        kind = resource["Type"]
        if kind == _FUNCTION and "InlineCode" not in props and props.get("PackageType", "Zip") == "Zip":
            code_uri = props.get("CodeUri", function_globals.get("CodeUri"))
            handler = props.get("Handler", function_globals.get("Handler", "app.handler"))
            if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
                code[logical_id] = _code_location(base_dir, code_uri, handler)
            props["CodeUri"] = f"s3://{CODE_BUCKET}/{logical_id}.zip"
        elif kind == _LAYER and isinstance(props.get("ContentUri"), str):
            if not props["ContentUri"].startswith("s3://"):
                layer_dirs.append((base_dir / props["ContentUri"]).resolve())
            props["ContentUri"] = f"s3://{CODE_BUCKET}/{logical_id}.zip"
        elif kind == _STATE_MACHINE and isinstance(props.get("DefinitionUri"), str):
            props["Definition"] = _load_document(base_dir / props.pop("DefinitionUri"))
        elif kind in _APIS and isinstance(props.get("DefinitionUri"), str):
            props["DefinitionBody"] = _load_document(base_dir / props.pop("DefinitionUri"))
    function_globals.pop("CodeUri", None)
    return code, layer_dirs


def _source_ids(sam: dict[str, Any], translated: dict[str, Any]) -> dict[str, str]:
    """SAM keeps most ids; layer versions get a content hash appended (`CommonLayer804ddd2c00`)."""
    layers = [lid for lid, res in sam["Resources"].items() if res["Type"] == _LAYER]
    mapping = {}
    for logical_id in translated["Resources"]:
        sources = [logical_id] if logical_id in sam["Resources"] else [s for s in layers if logical_id.startswith(s)]
        if sources:
            mapping[logical_id] = sources[0]
    return mapping


def translate(template_path: Path | None = None, overrides: dict[str, str] | None = None) -> Translation:
    """Run the SAM transform offline (needs AWS_DEFAULT_REGION) and keep what the stack needs besides."""
    from samtranslator.translator.transform import transform  # heavy import, only for `up`

    path = template_path or TEMPLATE_PATH
    sam = copy.deepcopy(load_template(path))
    parameters = parameter_values(sam, overrides)
    code, layer_dirs = _rewrite_local_paths(sam, path.resolve().parent)
    translated: dict[str, Any] = transform(sam, dict(parameters), _NoManagedPolicies())
    return Translation(translated, parameters, code, _source_ids(sam, translated), layer_dirs)
