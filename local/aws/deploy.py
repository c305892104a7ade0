"""The hybrid deploy of template.yaml onto moto: CloudFormation for what moto supports, APIs for the rest."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.aws.external_resources import CREATORS, api_arguments, create_external_resources
from local.aws.intrinsics import OfflineEvaluator, apply_conditions, referenced_ids, substitute
from local.aws.moto_server import ACCOUNT_ID
from local.aws.synthetic_outputs import SyntheticOutputs
from local.aws.translate import CODE_BUCKET, CodeLocation, Translation

logger = logging.getLogger("local.aws.deploy")

STACK_NAME = "solar-local"
STATE_MACHINE = "AWS::StepFunctions::StateMachine"
ALARM = "AWS::CloudWatch::Alarm"
# Resources moto must not create: mappings and schedules would run inside moto (pollers and `invoke` do it),
# API Gateway is the HTTP adapter, alarms are created through their API, permissions mean nothing locally.
EMULATED_TYPES = frozenset(
    {
        "AWS::Lambda::EventSourceMapping",
        "AWS::Scheduler::Schedule",
        "AWS::Scheduler::ScheduleGroup",
        "AWS::Lambda::Permission",
        ALARM,
    }
)
EMULATED_PREFIXES = ("AWS::ApiGatewayV2::", "AWS::ApiGateway::")


@dataclass(frozen=True)
class FunctionDeployment:
    """A deployed function: what the handler loader and `invoke` need."""

    logical_id: str
    name: str
    arn: str
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]
    code: CodeLocation | None
    role_arn: str = ""


@dataclass
class Deployment:
    """Everything `up` built, by logical id."""

    stack_name: str
    region: str
    parameters: dict[str, str]
    resources: dict[str, str] = field(default_factory=dict)  # logical id (SAM and generated) → physical id
    emulated: dict[str, dict[str, Any]] = field(default_factory=dict)  # resolved, never given to moto
    functions: dict[str, FunctionDeployment] = field(default_factory=dict)
    external: dict[str, dict[str, str]] = field(default_factory=dict)  # Cognito, secrets: attributes
    not_emulated: dict[str, str] = field(default_factory=dict)  # logical id → type moto cannot hold

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resolved emulated resources of one type."""
        return {lid: res for lid, res in self.emulated.items() if res["Type"] == resource_type}


class _Placeholder(dict[str, str]):
    """Ref and every attribute of a resource nobody creates: a stable made-up id."""

    def __missing__(self, attribute: str) -> str:
        return self["Ref"]


def _is_emulated(resource_type: str) -> bool:
    return resource_type in EMULATED_TYPES or resource_type.startswith(EMULATED_PREFIXES)


def _placeholder_id(logical_id: str) -> str:
    return hashlib.sha256(logical_id.encode()).hexdigest()[:10]


def _code_objects(node: Any) -> Iterator[str]:
    """S3 keys in `local-code` that functions and layers point at."""
    if isinstance(node, dict):
        if node.get("S3Bucket") == CODE_BUCKET and isinstance(node.get("S3Key"), str):
            yield node["S3Key"]
        for value in node.values():
            yield from _code_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _code_objects(value)


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Code runs in the local stack's process, not from this archive.")
    return buffer.getvalue()


class HybridDeployer:
    """Deploys one translated template; see local-stack-notes.md §2 for why each step is needed."""

    def __init__(self, translation: Translation, region: str, stack_name: str = STACK_NAME) -> None:
        self._translation = translation
        self._region = region
        self._stack_name = stack_name
        self._session = boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}
        self._evaluator = OfflineEvaluator(
            translation.parameters,
            {
                "AWS::Region": region,
                "AWS::AccountId": ACCOUNT_ID,
                "AWS::StackName": stack_name,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
            },
            translation.template.get("Conditions", {}),
        )

    def client(self, service: str) -> Any:
        """One boto3 client per service, on moto through AWS_ENDPOINT_URL."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    def deploy(self) -> Deployment:
        """Run every step; returns what was built."""
        deployment = Deployment(self._stack_name, self._region, dict(self._translation.parameters))
        template = apply_conditions(self._translation.template, self._evaluator)
        resources: dict[str, Any] = template["Resources"]
        deployment.external = create_external_resources(resources, self._evaluator, self.client, self._region)
        stack_resources, emulated, unsupported = self._split(resources, deployment.external)
        deployment.not_emulated = {lid: resources[lid]["Type"] for lid in unsupported}
        placeholders = {lid: _Placeholder(Ref=_placeholder_id(lid)) for lid in [*emulated, *unsupported]}
        known = {**deployment.external, **placeholders}
        stack_resources = substitute(stack_resources, known)
        emulated = substitute(emulated, known)
        outputs = SyntheticOutputs()
        outputs.collect(emulated)
        machines = {lid: res for lid, res in stack_resources.items() if res["Type"] == STATE_MACHINE}
        outputs.collect(machines)
        user_outputs = substitute(template.get("Outputs", {}), known)
        self._upload_code(stack_resources)
        stack_outputs = self._create_stack(template, stack_resources, {**user_outputs, **outputs.outputs()})
        outputs.read(stack_outputs)
        deployment.emulated = outputs.resolve(emulated)
        self._record_physical_ids(deployment, placeholders)
        self._complete_roles(deployment, stack_resources)
        self._fill_layer_arns(deployment, stack_resources)
        for logical_id, machine in outputs.resolve(machines).items():
            self._create_state_machine(deployment.resources[logical_id], machine["Properties"])
        self._create_alarms(deployment)
        self._verify_senders()
        self._describe_functions(deployment, stack_resources)
        return deployment

    def _split(
        self, resources: dict[str, Any], external: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        """Stack resources for moto, emulated ones resolved through Outputs, and types nobody handles."""
        from moto.cloudformation.parsing import get_model_map

        supported = get_model_map()
        stack, emulated, unsupported = {}, {}, []
        for logical_id, resource in resources.items():
            kind = resource["Type"]
            if logical_id in external or kind in CREATORS:
                continue
            if _is_emulated(kind):
                emulated[logical_id] = resource
            elif kind in supported:
                stack[logical_id] = resource
            else:
                logger.warning("%s (%s) is not emulated locally", logical_id, kind)
                unsupported.append(logical_id)
        return stack, emulated, unsupported

    def _upload_code(self, stack_resources: dict[str, Any]) -> None:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=CODE_BUCKET)
        archive = _empty_zip()
        for key in set(_code_objects(stack_resources)):
            s3.put_object(Bucket=CODE_BUCKET, Key=key, Body=archive)

    def _create_stack(
        self, template: dict[str, Any], resources: dict[str, Any], outputs: dict[str, Any]
    ) -> list[dict[str, str]]:
        body = {key: value for key, value in template.items() if key not in ("Resources", "Outputs")}
        body |= {"Resources": resources, "Outputs": outputs}
        cloudformation = self.client("cloudformation")
        cloudformation.create_stack(
            StackName=self._stack_name,
            TemplateBody=json.dumps(body),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in self._translation.parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        stack = cloudformation.describe_stacks(StackName=self._stack_name)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise RuntimeError(
                f"moto did not create the stack: {stack['StackStatus']} {stack.get('StackStatusReason')}"
            )
        outputs: list[dict[str, str]] = stack.get("Outputs", [])
        return outputs

    def _record_physical_ids(self, deployment: Deployment, placeholders: dict[str, _Placeholder]) -> None:
        paginator = self.client("cloudformation").get_paginator("list_stack_resources")
        for page in paginator.paginate(StackName=self._stack_name):
            for summary in page["StackResourceSummaries"]:
                deployment.resources[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]
        deployment.resources |= {lid: attrs["Ref"] for lid, attrs in deployment.external.items()}
        deployment.resources |= {lid: value["Ref"] for lid, value in placeholders.items()}
        for generated, source in self._translation.source_ids.items():
            if generated != source and generated in deployment.resources:
                deployment.resources[source] = deployment.resources[generated]

    def _complete_roles(self, deployment: Deployment, stack_resources: dict[str, Any]) -> None:
        """moto's CloudFormation attaches no `ManagedPolicyArns`: attach them, so the role in IAM is the template's."""
        iam = self.client("iam")
        for logical_id, resource in stack_resources.items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            role_name = deployment.resources[logical_id].rsplit("/", 1)[-1]
            for policy_arn in resource["Properties"].get("ManagedPolicyArns", []):
                iam.attach_role_policy(RoleName=role_name, PolicyArn=self._evaluator.evaluate(policy_arn))

    def _fill_layer_arns(self, deployment: Deployment, stack_resources: dict[str, Any]) -> None:
        """moto's CloudFormation leaves a layer version's physical id empty; the layer API knows its ARN."""
        for logical_id, resource in stack_resources.items():
            if resource["Type"] != "AWS::Lambda::LayerVersion" or deployment.resources.get(logical_id):
                continue
            wanted = resource["Properties"].get("LayerName", logical_id)
            layers = self.client("lambda").list_layers()["Layers"]
            # moto names the layer after the resource, not always after LayerName
            match = next(layer for layer in layers if layer["LayerName"] == wanted or logical_id in layer["LayerName"])
            arn = match["LatestMatchingVersion"]["LayerVersionArn"]
            deployment.resources[logical_id] = arn
            deployment.resources[self._translation.source_ids.get(logical_id, logical_id)] = arn

    def _create_state_machine(self, cfn_arn: str, props: dict[str, Any]) -> None:
        """CloudFormation put it where the interpreter cannot see it: recreate it under the same name."""
        definition = props.get("DefinitionString") or json.dumps(props["Definition"])
        for name, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + name + "}", str(value))
        arguments = {
            "name": cfn_arn.rsplit(":", 1)[1],
            "definition": definition,
            "roleArn": props.get("RoleArn", f"arn:aws:iam::{ACCOUNT_ID}:role/local-state-machine"),
            "type": props.get("StateMachineType", "STANDARD"),
        }
        created = self.client("stepfunctions").create_state_machine(**arguments)
        if created["stateMachineArn"] != cfn_arn:
            raise RuntimeError(f"state machine ARN {created['stateMachineArn']} differs from the stack's {cfn_arn}")

    def _create_alarms(self, deployment: Deployment) -> None:
        cloudwatch = self.client("cloudwatch")
        for logical_id, alarm in deployment.of_type(ALARM).items():
            props = {"AlarmName": f"{self._stack_name}-{logical_id}", **alarm["Properties"]}
            cloudwatch.put_metric_alarm(**api_arguments(cloudwatch, "PutMetricAlarm", props))
            deployment.resources[logical_id] = props["AlarmName"]

    def _verify_senders(self) -> None:
        """SES refuses unverified senders; every parameter that holds an e-mail address is one we send from."""
        ses = self.client("ses")
        for name, value in self._translation.parameters.items():
            if name.lower().endswith("email") and "@" in value:
                ses.verify_email_identity(EmailAddress=value)

    def _describe_functions(self, deployment: Deployment, stack_resources: dict[str, Any]) -> None:
        lambda_client = self.client("lambda")
        for logical_id, resource in stack_resources.items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            config = lambda_client.get_function_configuration(FunctionName=deployment.resources[logical_id])
            deployment.functions[logical_id] = FunctionDeployment(
                logical_id=logical_id,
                name=config["FunctionName"],
                arn=config["FunctionArn"],
                memory_mb=int(config.get("MemorySize", 128)),
                timeout_s=int(config.get("Timeout", 3)),
                environment=dict(config.get("Environment", {}).get("Variables", {})),
                code=self._translation.code.get(logical_id),
                role_arn=str(config.get("Role", "")),
            )
            self._warn_dropped_variables(logical_id, resource, deployment.functions[logical_id].environment)

    @staticmethod
    def _warn_dropped_variables(logical_id: str, resource: dict[str, Any], environment: dict[str, str]) -> None:
        """moto drops a variable whose Ref it cannot resolve; say so instead of failing later in a handler."""
        declared = resource["Properties"].get("Environment", {}).get("Variables", {})
        for name in set(declared) - set(environment):
            logger.warning("%s: %s (refers to %s) was not resolved", logical_id, name, referenced_ids(declared[name]))


def deploy(translation: Translation, region: str) -> Deployment:
    """Deploy `translation` onto the moto that AWS_ENDPOINT_URL points at."""
    return HybridDeployer(translation, region).deploy()
