"""The OpenSolar client against the fake over HTTP: paths, paging, the ordering quirk, and every kind of failure
turned into a typed error with a reason (opensolar-api.md)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from local.opensolar_fake import FakeOpenSolar
from solar_core.opensolar.api.answers import retry_after_s
from solar_core.opensolar.api.bodies import NewProject, ProjectFields, StageChange, WorkflowStage
from solar_core.opensolar.api.client import OpenSolarClient, new_session
from solar_core.opensolar.api.credentials import OpenSolarSecret
from solar_core.opensolar.api.errors import (
    OpenSolarMisconfigured,
    OpenSolarRejected,
    OpenSolarThrottled,
    OpenSolarUnavailable,
)

ORG_ID = 1001
USERNAME, PASSWORD = "api@example.com", "secret-pw"
PROJECTS = "/api/orgs/{org_id}/projects/"
LOGIN = "POST /api-token-auth/"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenSolar]:
    server = FakeOpenSolar(org_id=ORG_ID, username=USERNAME, password=PASSWORD, write_limit_per_minute=1000)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_org(fake: FakeOpenSolar) -> None:
    fake.reset(tokens=True)


class Secrets:
    """The secret source the client is given: counts its reads, and can be changed like a rotated secret."""

    def __init__(self, password: str = PASSWORD) -> None:
        self.password = password
        self.reads: list[bool] = []

    def __call__(self, refresh: bool) -> OpenSolarSecret:
        self.reads.append(refresh)
        return OpenSolarSecret(username=USERNAME, password=self.password)


def client_of(fake: FakeOpenSolar, *, secrets: Secrets | None = None, org_id: int | None = ORG_ID) -> OpenSolarClient:
    return OpenSolarClient(
        base_url=fake.base_url, org_id=org_id, timeout_s=0.5, secret=secrets or Secrets(), session=new_session()
    )


def new_project(identifier: str = "IR-00000001", address: str = "1 Main Rd") -> NewProject:
    return NewProject(identifier=identifier, address=address, locality="Harare", country_iso2="ZW")


# ---------------------------------------------------------------- what is sent


def test_a_create_is_one_post_to_the_path_with_its_slash_and_answers_the_project(fake: FakeOpenSolar) -> None:
    client = client_of(fake)
    reply = client.create_project(new_project())
    assert reply.http_status == 201
    assert reply.value.identifier == "IR-00000001"
    assert reply.value.id > 0
    assert fake.call_counts() == {LOGIN: 1, f"POST {PROJECTS}": 1}


def test_an_update_and_a_stage_move_are_patches_of_the_project(fake: FakeOpenSolar) -> None:
    client = client_of(fake)
    project = client.create_project(new_project()).value
    client.update_project(project.id, ProjectFields(identifier="IR-00000001", address="2 Main Rd"))
    moved = client.update_project(project.id, StageChange(workflow=WorkflowStage(workflow_id=1, active_stage_id=7)))
    assert moved.value.stage == 2
    assert moved.value.contract_date is not None
    assert fake.call_counts()[f"PATCH {PROJECTS}{{project_id}}/"] == 2


def test_without_a_configured_org_the_login_names_it(fake: FakeOpenSolar) -> None:
    client = client_of(fake, org_id=None)
    assert client.create_project(new_project()).http_status == 201


# ---------------------------------------------------------------- reading lists


def test_the_walk_reads_bare_array_pages_newest_first_until_a_short_page(fake: FakeOpenSolar) -> None:
    for n in range(130):
        fake.create_project(address=f"{n} Long Rd", identifier=f"IR-{n:08d}")
    walked = list(client_of(fake).walk_newest_modified())
    assert len(walked) == 130
    assert [project.identifier for project in walked[:2]] == ["IR-00000129", "IR-00000128"]
    assert fake.call_counts()[f"GET {PROJECTS}"] == 2  # 100, then 30: the short page is the last


@pytest.mark.parametrize("inverted", [False, True])
def test_the_walk_is_newest_first_whichever_way_the_ordering_sign_is_read(fake: FakeOpenSolar, inverted: bool) -> None:
    for n in range(5):
        fake.create_project(address=f"{n} Sign Rd", identifier=f"IR-SIGN000{n}")
    fake.set_quirks(invert_ordering=inverted)
    dates = [project.modified_date for project in client_of(fake).walk_newest_modified()]
    assert dates == sorted(dates, reverse=True)


def test_the_walk_stops_at_the_page_that_reaches_the_watermark(fake: FakeOpenSolar) -> None:
    for n in range(150):
        fake.create_project(address=f"{n} Mark Rd")
    watermark = datetime.now(UTC) + timedelta(days=1)  # everything is older: the first page ends past it
    assert len(list(client_of(fake).walk_newest_modified(stop_before=watermark))) == 100
    assert fake.call_counts()[f"GET {PROJECTS}"] == 1


def test_a_lookup_trusts_only_the_identifier_each_project_carries(fake: FakeOpenSolar) -> None:
    client = client_of(fake)
    for n in range(4):
        fake.create_project(address=f"{n} Other Rd", identifier=f"IR-OTHER00{n}")
    mine = client.create_project(new_project("IR-MINE0001")).value
    fake.set_quirks(ignore_filters=True)  # ?identifier= returns every project
    since = datetime.now(UTC) - timedelta(minutes=10)
    assert client.find_by_identifier("IR-MINE0001", changed_since=since) == mine
    assert client.find_by_identifier("IR-NOBODY01", changed_since=since) is None


# ---------------------------------------------------------------- failures, typed


def test_a_429_is_throttled_with_its_retry_after(fake: FakeOpenSolar) -> None:
    fake.set_faults(rate_429=1.0, retry_after_s=7)
    with pytest.raises(OpenSolarThrottled) as throttled:
        client_of(fake).get_project(1)
    assert throttled.value.retry_after_s == 7


def test_a_retry_after_may_be_a_date_or_absent() -> None:
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= (retry_after_s({"Retry-After": in_a_minute}) or 0) <= 60
    assert retry_after_s({}) is None
    assert retry_after_s({"Retry-After": "soon"}) is None


def test_a_500_html_page_is_unavailable_with_its_title_and_uncertain_for_a_write(fake: FakeOpenSolar) -> None:
    client = client_of(fake)
    fake.set_faults(rate_500=1.0, routes="writes")
    with pytest.raises(OpenSolarUnavailable) as failed:
        client.create_project(new_project())
    assert failed.value.http_status == 500
    assert failed.value.uncertain
    assert "Server Error (500)" in failed.value.message
    fake.set_faults(rate_500=1.0, routes="reads")
    with pytest.raises(OpenSolarUnavailable) as failed_read:
        client.get_project(1)
    assert not failed_read.value.uncertain


def test_an_html_page_with_a_success_status_is_an_error_with_a_reason_not_a_crash(fake: FakeOpenSolar) -> None:
    fake.set_faults(rate_garbled=1.0, garble="html", routes="writes")
    with pytest.raises(OpenSolarUnavailable) as failed:
        client_of(fake).create_project(new_project())
    assert failed.value.uncertain  # the create was applied: the next attempt must look it up
    assert "not JSON" in failed.value.message
    assert "Down for maintenance" in failed.value.message


def test_an_answer_missing_the_projects_id_is_an_error_naming_the_field(fake: FakeOpenSolar) -> None:
    client = client_of(fake)
    fake.set_faults(rate_garbled=1.0, garble="partial", routes="writes")
    with pytest.raises(OpenSolarUnavailable) as failed:
        client.create_project(new_project())
    assert failed.value.uncertain
    assert "id field required" in failed.value.message
    fake.set_faults(rate_garbled=1.0, garble="partial", routes="reads")
    with pytest.raises(OpenSolarUnavailable) as listed:
        list(client.walk_newest_modified())
    assert not listed.value.uncertain
    assert "unreadable" in listed.value.message


def test_a_write_that_times_out_is_uncertain_and_a_read_is_not(fake: FakeOpenSolar) -> None:
    client = client_of(fake)
    client.create_project(new_project("IR-WARMUP01"))
    fake.set_faults(rate_slow=1.0, slow_ms=900)
    with pytest.raises(OpenSolarUnavailable) as write:
        client.create_project(new_project())
    with pytest.raises(OpenSolarUnavailable) as read:
        client.get_project(1)
    assert write.value.uncertain
    assert "did not answer POST within 0.5 s" in write.value.message
    assert not read.value.uncertain


def test_a_dropped_connection_during_a_write_is_uncertain(fake: FakeOpenSolar) -> None:
    client = client_of(fake)
    client.create_project(new_project("IR-WARMUP02"))
    fake.set_faults(rate_drop=1.0, routes="writes", after_apply=True)
    with pytest.raises(OpenSolarUnavailable) as dropped:
        client.create_project(new_project("IR-DROPPED1"))
    assert dropped.value.uncertain
    assert [p["identifier"] for p in fake.projects()].count("IR-DROPPED1") == 1


def test_nothing_listening_is_unavailable_and_certainly_not_applied() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = OpenSolarClient(
        base_url=f"http://127.0.0.1:{port}", org_id=ORG_ID, timeout_s=0.5, secret=Secrets(), session=new_session()
    )
    with pytest.raises(OpenSolarUnavailable) as refused:
        client.create_project(new_project())
    assert not refused.value.uncertain


def test_a_400_is_rejected_with_opensolars_own_words(fake: FakeOpenSolar) -> None:
    client = client_of(fake)
    with pytest.raises(OpenSolarRejected) as no_address:
        client.create_project(NewProject(identifier="IR-NOWHERE1"))
    assert no_address.value.http_status == 400
    assert no_address.value.message.endswith("A project needs an address or both lat and lon.")
    project = client.create_project(new_project()).value
    with pytest.raises(OpenSolarRejected) as bad_stage:
        client.update_project(project.id, StageChange(workflow=WorkflowStage(workflow_id=1, active_stage_id=99)))
    assert 'workflow.active_stage_id: Invalid pk "99" - object does not exist.' in bad_stage.value.message


def test_an_unknown_project_is_rejected_as_404(fake: FakeOpenSolar) -> None:
    with pytest.raises(OpenSolarRejected) as missing:
        client_of(fake).get_project(999_999)
    assert missing.value.http_status == 404
    assert "Not found." in missing.value.message


# ---------------------------------------------------------------- credentials


def test_an_expired_token_is_replaced_once_with_the_secret_read_again(fake: FakeOpenSolar) -> None:
    secrets = Secrets()
    client = client_of(fake, secrets=secrets)
    client.create_project(new_project("IR-BEFORE01"))
    fake.expire_tokens()
    assert client.create_project(new_project("IR-AFTER001")).http_status == 201
    assert fake.call_counts()[LOGIN] == 2
    assert secrets.reads == [False, True]


def test_a_token_refused_even_when_fresh_is_a_configuration_error_after_one_retry(fake: FakeOpenSolar) -> None:
    fake.set_token_lifetime(0.001)  # every token is expired by the time it is used
    with pytest.raises(OpenSolarMisconfigured) as refused:
        client_of(fake).create_project(new_project())
    assert refused.value.http_status == 401
    assert fake.call_counts() == {LOGIN: 2, f"POST {PROJECTS}": 2}


def test_wrong_credentials_are_a_configuration_error_with_no_second_try(fake: FakeOpenSolar) -> None:
    with pytest.raises(OpenSolarMisconfigured) as refused:
        client_of(fake, secrets=Secrets(password="wrong")).create_project(new_project())  # noqa: S106 - a test fixture, not a secret
    assert "Unable to log in with provided credentials." in refused.value.message
    assert fake.call_counts() == {LOGIN: 1}


def test_an_unpaid_plan_is_a_configuration_error_with_its_message(fake: FakeOpenSolar) -> None:
    fake.set_plan(False)
    with pytest.raises(OpenSolarMisconfigured) as refused:
        client_of(fake).create_project(new_project())
    assert refused.value.http_status == 403
    assert "paid plan" in refused.value.message
