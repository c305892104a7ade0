"""`python -m local up`: moto, the template deployed on it, handlers, pollers, HTTP adapter, fake OpenSolar."""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import boto3
import requests

from local.aws.deploy import Deployment, deploy
from local.aws.identity import STAFF_GROUP, LocalUser, create_user, pool_id_of
from local.aws.moto_server import ACCOUNT_ID, MotoServer
from local.aws.readback_server import ReadbackServer
from local.aws.template import TEMPLATE_PATH
from local.aws.translate import translate
from local.aws_faults.injector import FaultRates
from local.aws_faults.install import faults_for
from local.event_sources.mappings import EventSourceSpec, event_source_specs
from local.event_sources.queue_poller import QueuePoller
from local.event_sources.schedules import Schedule, ScheduleRunner, rule_schedules, scheduler_schedules
from local.event_sources.stream_poller import Destinations, StreamPoller
from local.gateway.authorizer import JwtAuthorizer
from local.gateway.http_adapter import HttpAdapter, HttpServer
from local.gateway.routes import HttpApiSpec, http_api_specs
from local.iam.enforce import Enforcer, enforce_roles
from local.runtime.handlers import LAYER_DIRS, FunctionSpec, HandlerRegistry
from local.state_file import DEFAULT_STATE_FILE, remove_state, write_state

logger = logging.getLogger("local.stack")

OPENSOLAR_ORG_ID = 1001
OPENSOLAR_USERNAME = "local-installer@example.com"
NO_OPENSOLAR_USER = (
    'No OpenSolar API user given: every sync fails ("The OpenSolar secret has no username or password") until the '
    "secret holds one. Restart with --opensolar-username U --opensolar-password P (or OPENSOLAR_USERNAME / "
    "OPENSOLAR_PASSWORD set), or put `username` and `password` into the OpenSolar secret in Secrets Manager."
)
# Process-wide settings every handler shares locally (there is no X-Ray daemon to trace to).
LOCAL_ENVIRONMENT = {"POWERTOOLS_TRACE_DISABLED": "true"}


class Poller(Protocol):
    """What the stack needs from a poller."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class UpOptions:
    """The flags of `python -m local up`."""

    api_port: int = 3000
    moto_port: int = 0
    opensolar_url: str | None = None
    # The API user of that OpenSolar; it goes into the OpenSolar secret, as an operator puts it after a deploy.
    opensolar_username: str | None = None
    opensolar_password: str | None = None
    state_file: Path = DEFAULT_STATE_FILE
    run_schedules: bool = False
    region: str = "us-east-1"
    poll_interval_s: float = 0.2
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    template_path: Path = TEMPLATE_PATH
    # AWS faults in the functions' calls and deliveries (all 0: none); compressed time (failed messages, budgets).
    aws_fault_rates: FaultRates = field(default_factory=FaultRates)
    aws_fault_seed: int | None = None
    failed_message_visible_after_s: int | None = None
    function_time_budget_s: float | None = None


def function_specs(deployment: Deployment) -> dict[str, FunctionSpec]:
    """Handler specs for the deployed functions that have code on disk."""
    specs = {}
    for logical_id, function in deployment.functions.items():
        if function.code is None:
            logger.warning("%s has no local code (inline, image or S3): it cannot be invoked", logical_id)
            continue
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=function.name,
            arn=function.arn,
            memory_mb=function.memory_mb,
            timeout_s=function.timeout_s,
            module_file=function.code.module_file,
            code_dir=function.code.code_dir,
            function=function.code.function,
            environment=function.environment,
            role_arn=function.role_arn,
        )
    return specs


def merged_environment(specs: dict[str, FunctionSpec]) -> dict[str, str]:
    """One process, one environment: the functions' variables merged (the template keeps them compatible)."""
    merged: dict[str, str] = {}
    for spec in specs.values():
        for name, value in spec.environment.items():
            if merged.get(name, value) != value:
                logger.warning("%s=%s in %s differs from %s elsewhere", name, value, spec.logical_id, merged[name])
            merged.setdefault(name, value)
    return merged


class LocalStack:
    """Starts and stops everything in this process."""

    def __init__(self, options: UpOptions) -> None:
        self.options = options
        self.registry: HandlerRegistry | None = None
        self.iam: Enforcer | None = None
        self._clients: dict[str, Any] = {}
        self.deployment: Deployment | None = None
        self.state: dict[str, Any] = {}
        self.aws_faults = faults_for(options.aws_fault_rates, options.aws_fault_seed)
        self._moto = MotoServer(options.moto_port, options.region, self.aws_faults.losing_answers(self._invoke_by_name))
        self._session: boto3.session.Session | None = None
        self._pollers: list[Poller] = []
        self._http: HttpServer | None = None
        self._readback: ReadbackServer | None = None
        self._schedule_runner: ScheduleRunner | None = None
        self._fake_opensolar: Any = None
        self.warnings: list[str] = []  # what an operator must know at startup (printed by `up`)

    # ------------------------------------------------------------------ invocation
    def _registry(self) -> HandlerRegistry:
        if self.registry is None:
            raise RuntimeError("the stack is not deployed yet")
        return self.registry

    def _invoke_by_name(self, name_or_arn: str, event: Any) -> Any:
        registry = self._registry()
        return registry.invoke(registry.logical_id_of(name_or_arn), event)

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Invoke one function by logical id in this process."""
        return self._registry().invoke(logical_id, event)

    def client(self, service: str) -> Any:
        """A boto3 client on the stack's moto."""
        if self._session is None:
            self._session = boto3.session.Session(region_name=self.options.region)
        return self._session.client(service)  # type: ignore[call-overload]

    def _admin_client(self, service: str) -> Any:
        """One shared admin client per service, for the IAM check's own lookups."""
        if service not in self._clients:
            self._clients[service] = self.client(service)
        return self._clients[service]

    @property
    def iam_usage_file(self) -> Path:
        """Where `stop` writes what the functions' code did under their roles."""
        return self.options.state_file.with_name("iam-usage.json")

    # ------------------------------------------------------------------ start / stop
    def start(self) -> dict[str, Any]:
        """Bring everything up, write the state file, return its content."""
        started = time.perf_counter()
        endpoint = self._moto.start()
        translation = translate(self.options.template_path, self.options.parameter_overrides)
        self.deployment = deployment = deploy(translation, self.options.region)
        specs = function_specs(deployment)
        os.environ.update(merged_environment(specs) | LOCAL_ENVIRONMENT)
        layer_dirs = tuple(translation.layer_dirs) or LAYER_DIRS
        roles = {lid: spec.role_arn for lid, spec in specs.items()}
        self.iam = iam = enforce_roles(roles, self.options.region, ACCOUNT_ID, self._admin_client)
        budget = self.options.function_time_budget_s
        self.registry = HandlerRegistry(specs, layer_dirs, iam.acting_as, self.aws_faults.invocation, budget)
        opensolar_url, opensolar_credentials = self._opensolar()
        webhook_secret = self._store_opensolar_secret(deployment, opensolar_credentials)
        apis = http_api_specs(deployment.emulated, deployment.resources)
        users = self._users(apis)
        sources = event_source_specs(deployment.emulated, self._registry().logical_id_of)
        self._start_pollers(sources, specs)
        schedules = rule_schedules(
            translation.template, deployment.resources, self.client("events"), self._registry().logical_id_of
        ) + scheduler_schedules(deployment.emulated, self.options.region, self._registry().logical_id_of)
        if self.options.run_schedules:
            self._schedule_runner = ScheduleRunner(schedules, self.invoke, self.options.region)
            self._schedule_runner.start()
        api_url = self._start_http(apis, endpoint)
        self._readback = ReadbackServer(self.options.region, reports={"/aws-faults": self.aws_faults.as_json})
        readback_url = self._readback.start()
        if api_url:
            self._publish_api_url(translation.template, deployment, api_url)
        if api_url and users:
            self._configure_opensolar(api_url, users["staff"].id_token, opensolar_url, opensolar_credentials)
        self.state = {
            "api_url": api_url,
            "console_url": f"{api_url}/console/" if api_url else "",
            "aws_endpoint_url": endpoint,
            "readback_url": readback_url,
            "region": self.options.region,
            "opensolar_url": opensolar_url,
            "opensolar_credentials": self._shown(opensolar_credentials),
            "staff_token": users["staff"].id_token if users else "",
            "user_token": users["user"].id_token if users else "",
            "staff_access_token": users["staff"].access_token if users else "",
            "users": {role: {"username": u.username, "password": u.password} for role, u in users.items()},
            "webhook_secret": webhook_secret,
            "resources": deployment.resources,
            "stack_name": deployment.stack_name,
            "parameters": deployment.parameters,
            "state_machine_arn": self._state_machine_arn(deployment),
            "functions": {lid: _function_json(spec) for lid, spec in specs.items()},
            "layer_dirs": [str(path) for path in layer_dirs],
            "routes": [_route_json(api, route) for api in apis for route in api.routes],
            "event_source_mappings": {lid: source.summary() for lid, source in sources.items()},
            "schedules": [schedule.as_json() for schedule in schedules],
            "not_emulated": deployment.not_emulated,
            "user_pool_id": pool_id_of(next(iter(apis[0].authorizers.values())).issuer) if users else "",
            "user_pool_client_id": next(iter(apis[0].authorizers.values())).audience[0] if users else "",
            "iam_usage_file": str(self.iam_usage_file),
            "aws_faults_file": str(self.options.state_file.with_name("aws-faults.json")),
            "pid": os.getpid(),
            "startup_seconds": round(time.perf_counter() - started, 2),
        }
        write_state(self.options.state_file, self.state)
        return self.state

    def stop(self) -> None:
        """Stop in reverse order and remove the state file."""
        remove_state(self.options.state_file)
        if self.iam is not None:
            self.iam.write(self.iam_usage_file)
        self.aws_faults.write(self.options.state_file.with_name("aws-faults.json"))
        if self._http is not None:
            self._http.stop()
        if self._readback is not None:
            self._readback.stop()
        if self._schedule_runner is not None:
            self._schedule_runner.stop()
        for poller in self._pollers:
            poller.stop()
        if self._fake_opensolar is not None:
            self._fake_opensolar.stop()
        self._moto.stop()

    # ------------------------------------------------------------------ parts
    def _opensolar(self) -> tuple[str, dict[str, Any]]:
        """The given OpenSolar URL, or a fake OpenSolar started here with fresh credentials."""
        if self.options.opensolar_url:
            username, password = self.options.opensolar_username, self.options.opensolar_password
            if username and password:
                return self.options.opensolar_url, {"username": username, "password": password}
            self.warnings.append(NO_OPENSOLAR_USER)
            logger.warning(NO_OPENSOLAR_USER)
            return self.options.opensolar_url, {}
        from local.opensolar_fake import FakeOpenSolar

        credentials = {"org_id": OPENSOLAR_ORG_ID, "username": OPENSOLAR_USERNAME, "password": secrets.token_hex(12)}
        self._fake_opensolar = FakeOpenSolar(**credentials)
        url: str = self._fake_opensolar.start(host="127.0.0.1", port=0)
        return url, credentials

    def _shown(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """The OpenSolar API user as stack.json shows it: the fake's in full (tests sign in with it), a real one's
        without its password (the secret holds it, the file does not)."""
        if self._fake_opensolar is not None:
            return credentials
        return {key: value for key, value in credentials.items() if key != "password"}

    def _store_opensolar_secret(self, deployment: Deployment, credentials: dict[str, Any]) -> str:
        """Put the OpenSolar API user into each OpenSolar secret (as an operator does after deploying); returns its
        webhook secret."""
        manager = self.client("secretsmanager")
        webhook_secret = ""
        api_user = {key: credentials[key] for key in ("username", "password") if key in credentials}
        for logical_id, attributes in deployment.external.items():
            if "opensolar" not in logical_id.lower() or not attributes["Ref"].startswith("arn:aws:secretsmanager:"):
                continue
            current = json.loads(manager.get_secret_value(SecretId=attributes["Ref"])["SecretString"])
            current |= api_user
            manager.put_secret_value(SecretId=attributes["Ref"], SecretString=json.dumps(current))
            webhook_secret = current.get("webhook_secret", webhook_secret)
        return webhook_secret

    def _publish_api_url(self, template: dict[str, Any], deployment: Deployment, api_url: str) -> None:
        """SSM parameters the template fills with the HTTP API's URL on AWS get the local one (webhook registration)."""
        ssm = self.client("ssm")
        for logical_id, resource in template["Resources"].items():
            value = resource.get("Properties", {}).get("Value")
            if resource["Type"] == "AWS::SSM::Parameter" and "execute-api" in json.dumps(value):
                ssm.put_parameter(Name=deployment.resources[logical_id], Value=api_url, Type="String", Overwrite=True)

    @staticmethod
    def _configure_opensolar(api_url: str, staff_token: str, url: str, credentials: dict[str, Any]) -> None:
        """Point the integration at this OpenSolar through `PUT /opensolar/config`, as an operator would."""
        config: dict[str, Any] = {"base_url": url}
        if "org_id" in credentials:
            config["org_id"] = credentials["org_id"]
        answer = requests.put(
            f"{api_url}/opensolar/config",
            json=config,
            headers={"Authorization": f"Bearer {staff_token}"},
            timeout=30,
        )
        if answer.status_code != 200:
            raise RuntimeError(f"PUT /opensolar/config answered {answer.status_code}: {answer.text[:500]}")

    def _users(self, apis: list[HttpApiSpec]) -> dict[str, LocalUser]:
        """A staff and a non-staff user in the pool the (first) JWT authorizer trusts."""
        authorizers = [authorizer for api in apis for authorizer in api.authorizers.values()]
        if not authorizers:
            return {}
        pool_id, client_id = pool_id_of(authorizers[0].issuer), authorizers[0].audience[0]
        cognito = self.client("cognito-idp")
        return {
            "staff": create_user(cognito, pool_id, client_id, "staff@example.com", (STAFF_GROUP,)),
            "user": create_user(cognito, pool_id, client_id, "user@example.com"),
        }

    def _start_pollers(self, sources: dict[str, EventSourceSpec], specs: dict[str, FunctionSpec]) -> None:
        destinations = Destinations(self.client("sqs"), self.client("sns"))
        interval = self.options.poll_interval_s
        queue_options: dict[str, Any] = {"interval_s": interval, "redeliver": self.aws_faults.roll}
        queue_options["failed_visible_after_s"] = self.options.failed_message_visible_after_s
        for source in sources.values():
            if not source.enabled or source.function not in specs:
                logger.warning("%s is disabled or its function has no code: not polled", source.logical_id)
                continue
            poller: Poller
            if source.kind == "dynamodb":
                streams = self.client("dynamodbstreams")
                function = specs[source.function]
                poller = StreamPoller(
                    source,
                    function=function,
                    invoke=self.invoke,
                    streams=streams,
                    destinations=destinations,
                    region=self.options.region,
                    interval_s=interval,
                    redeliver=self.aws_faults.roll,
                )
            elif source.kind == "sqs":
                poller = QueuePoller(source, self.invoke, self.client("sqs"), self.options.region, **queue_options)
            else:
                logger.warning("%s: %s event sources are not emulated", source.logical_id, source.kind)
                continue
            poller.start()
            self._pollers.append(poller)

    def _start_http(self, apis: list[HttpApiSpec], endpoint: str) -> str:
        if not apis:
            return ""
        for extra in apis[1:]:
            logger.warning("%s is not served: the local adapter serves one HTTP API", extra.logical_id)
        api = apis[0]
        authorizers = {name: JwtAuthorizer(config, endpoint) for name, config in api.authorizers.items()}
        adapter = HttpAdapter(api, self._invoke_by_name, authorizers)
        self._http = HttpServer(adapter, port=self.options.api_port)
        return self._http.start()

    @staticmethod
    def _state_machine_arn(deployment: Deployment) -> str:
        arns = [arn for arn in deployment.resources.values() if arn.startswith("arn:aws:states:")]
        return arns[0] if len(arns) == 1 else ""


def _function_json(spec: FunctionSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "arn": spec.arn,
        "memory_mb": spec.memory_mb,
        "timeout_s": spec.timeout_s,
        "module_file": str(spec.module_file),
        "code_dir": str(spec.code_dir),
        "function": spec.function,
        "environment": dict(spec.environment),
        "role_arn": spec.role_arn,
    }


def _route_json(api: HttpApiSpec, route: Any) -> dict[str, Any]:
    return {
        "api": api.logical_id,
        "route_key": route.route_key,
        "authorizer": route.authorizer,
        "function_arn": route.function_arn,
    }


def schedule_event(state: dict[str, Any], function: str) -> Any:
    """The event a schedule would send to `function`, if one triggers it."""
    for entry in state.get("schedules", []):
        if entry["function"] == function:
            return Schedule(**entry).event(state["region"])
    return None
