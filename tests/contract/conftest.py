"""Fixtures for the contract tests: a fake OpenSolar on 127.0.0.1, a logged-in session and a webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.opensolar_fake import FakeOpenSolar
from tests.contract.support import ORG_ID, PASSWORD, USERNAME, Api, WebhookReceiver


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenSolar]:
    """One fake per test module (each xdist worker gets its own), with quick delivery retries."""
    server = FakeOpenSolar(
        org_id=ORG_ID,
        username=USERNAME,
        password=PASSWORD,
        delivery_timeout_s=1.0,
        delivery_backoff_s=0.05,
        max_delivery_attempts=3,
    )
    server.start(host="127.0.0.1", port=0)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_org(fake: FakeOpenSolar) -> None:
    fake.reset(tokens=True)


@pytest.fixture
def anonymous(fake: FakeOpenSolar) -> Api:
    return Api(fake.base_url)


@pytest.fixture
def api(fake: FakeOpenSolar) -> Api:
    client = Api(fake.base_url)
    client.log_in()
    return client


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    endpoint = WebhookReceiver()
    yield endpoint
    endpoint.close()
