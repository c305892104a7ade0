"""One local stack per test session (`python -m local up` in a subprocess) and clients that reach it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local.aws.moto_server import FAKE_CREDENTIALS
from local.stack_process import StackProcess

E2E_DIR = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    """Known even when pytest runs without xdist (`-p no:xdist`), as --strict-markers requires."""
    config.addinivalue_line("markers", "xdist_group(name): run the tests of one group on one xdist worker")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in tests/e2e shares the session's stack, so they all run on one xdist worker."""
    for item in items:
        if E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def local_stack_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """The running stack's process (its log is `.log_file`); stopped with SIGTERM at the end, which must be clean."""
    workdir = tmp_path_factory.mktemp("local-stack")
    stack = StackProcess(workdir / "stack.json", workdir / "stack.log")
    stack.start()
    yield stack
    exit_code = stack.stop()
    assert exit_code == 0, f"the stack did not stop cleanly ({exit_code}):\n{stack.log_tail()}"
    assert not stack.state_file.exists(), "the stack left its state file behind"


@pytest.fixture(scope="session")
def local_stack(local_stack_process: StackProcess) -> dict[str, Any]:
    """The parsed stack.json of the session's stack: api_url, aws_endpoint_url, tokens, resources, …"""
    state: dict[str, Any] = json.loads(local_stack_process.state_file.read_text())
    return state


@pytest.fixture(scope="session")
def aws(local_stack: dict[str, Any]) -> Callable[[str], Any]:
    """`aws("sqs")`: a boto3 client on the stack's moto (explicit endpoint: the test process's env stays clean)."""
    session = boto3.session.Session(
        region_name=local_stack["region"],
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=local_stack["aws_endpoint_url"])
        return clients[service]

    return client


class Api:
    """The local HTTP API with a bearer token (staff by default)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self.session = requests.Session()

    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        bearer = self.token if token is None else token
        if bearer:
            headers.setdefault("Authorization", f"Bearer {bearer}")
        return self.session.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def api(local_stack: dict[str, Any]) -> Api:
    """Calls the local API as the staff user."""
    return Api(local_stack["api_url"], local_stack["staff_token"])


def wait_until(condition: Callable[[], Any], timeout_s: float = 15, interval_s: float = 0.1) -> Any:
    """Poll until `condition()` is truthy; returns its value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(interval_s)
