"""Fault injection as a client sees it: seeded 429s and 500s, slow answers, dropped calls, faults after a write."""

from __future__ import annotations

import pytest
import requests

from local.opensolar_fake import FakeOpenSolar
from tests.contract.support import PROJECTS, Api


def _statuses(api: Api, calls: int) -> list[int]:
    return [api.get(PROJECTS).status_code for _ in range(calls)]


def test_a_seeded_fault_run_repeats_exactly(api: Api) -> None:
    # given
    faults = {"rate_429": 0.3, "rate_500": 0.2, "seed": 42, "routes": "reads"}
    api.control("faults", faults)
    first_run = _statuses(api, 30)
    # when
    api.control("faults", faults)
    second_run = _statuses(api, 30)
    # then
    assert first_run == second_run
    assert {200, 429, 500} == set(first_run)


def test_the_stats_count_every_fault_injected_by_kind(api: Api) -> None:
    # given a seeded mix of faults on reads
    api.control("faults", {"rate_429": 0.3, "rate_500": 0.2, "rate_slow": 0.5, "slow_ms": 1, "seed": 7})
    # when 40 calls are made
    statuses = _statuses(api, 40)
    # then the stats count what the client saw, and the slow answers it could not see
    injected = requests.get(f"{api.base_url}/_control/stats", timeout=5).json()["faults_injected"]
    assert (injected.get("429", 0), injected.get("500", 0)) == (statuses.count(429), statuses.count(500))
    assert 0 < injected["slow"] < 40
    api.control("reset", {})
    assert requests.get(f"{api.base_url}/_control/stats", timeout=5).json()["faults_injected"] == {}


def test_an_injected_429_has_no_retry_after_unless_one_is_configured(api: Api) -> None:
    # given
    api.control("faults", {"rate_429": 1.0})
    plain = api.get(PROJECTS)
    # when
    api.control("faults", {"rate_429": 1.0, "retry_after_s": 7})
    with_header = api.get(PROJECTS)
    # then
    assert plain.status_code == with_header.status_code == 429
    assert "Retry-After" not in plain.headers
    assert with_header.headers["Retry-After"] == "7"
    assert with_header.json()["detail"].startswith("Request was throttled")


def test_an_injected_500_is_an_html_page_not_json(api: Api) -> None:
    # given
    api.control("faults", {"rate_500": 1.0})
    # when
    response = api.get(PROJECTS)
    # then
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_a_dropped_call_is_a_connection_error_and_the_next_call_works(api: Api) -> None:
    # given
    api.control("faults", {"rate_drop": 1.0})
    # when
    with pytest.raises(requests.ConnectionError):
        api.get(PROJECTS)
    api.control("faults/clear")
    # then
    assert api.get(PROJECTS).status_code == 200


def test_a_slow_answer_times_out_a_client_with_a_short_timeout(api: Api) -> None:
    # given
    api.control("faults", {"slow_ms": 400, "rate_slow": 1.0})
    # when / then
    with pytest.raises(requests.ReadTimeout):
        api.get(PROJECTS, timeout=0.1)
    assert api.get(PROJECTS, timeout=2).status_code == 200


def test_write_faults_leave_reads_alone(api: Api) -> None:
    # given
    api.control("faults", {"rate_500": 1.0, "routes": "writes"})
    # when
    read = api.get(PROJECTS)
    write = api.post(PROJECTS, json={"address": "1 Main Rd"})
    # then
    assert (read.status_code, write.status_code) == (200, 500)
    assert api.get(PROJECTS).json() == []


@pytest.mark.parametrize("fault", [{"rate_500": 1.0}, {"rate_drop": 1.0}])
def test_a_fault_after_apply_saves_the_write_the_client_saw_fail(api: Api, fault: dict[str, float]) -> None:
    # given
    api.control("faults", {**fault, "routes": "writes", "after_apply": True})
    # when
    try:
        status = api.post(PROJECTS, json={"address": "1 Main Rd", "identifier": "ir_1"}).status_code
    except requests.ConnectionError:
        status = None
    # then the client must look the identifier up before creating again
    assert status in (500, None)
    assert [item["identifier"] for item in api.get(PROJECTS, params={"identifier": "ir_1"}).json()] == ["ir_1"]


def test_the_python_api_sets_the_same_faults_as_the_control_route(api: Api, fake: FakeOpenSolar) -> None:
    # given
    fake.set_faults(rate_500=1.0, routes="reads")
    # when
    faulted = api.get(PROJECTS)
    fake.clear_faults()
    cleared = api.get(PROJECTS)
    # then
    assert (faulted.status_code, cleared.status_code) == (500, 200)


def test_fault_settings_with_unknown_keys_or_rates_above_one_are_refused(anonymous: Api) -> None:
    # when
    typo = requests.post(f"{anonymous.base_url}/_control/faults", json={"rate_5xx": 0.5}, timeout=5)
    too_much = requests.post(
        f"{anonymous.base_url}/_control/faults", json={"rate_429": 0.7, "rate_500": 0.7}, timeout=5
    )
    # then
    assert typo.status_code == too_much.status_code == 400


def test_a_garbled_answer_is_an_html_page_with_the_success_status_after_the_write_was_saved(api: Api) -> None:
    # given
    api.control("faults", {"rate_garbled": 1.0, "garble": "html", "routes": "writes"})
    # when
    response = api.post(PROJECTS, json={"address": "1 Main Rd", "identifier": "IR-GARBLED1"})
    # then the client cannot read it, though the project exists
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<title>Down for maintenance</title>" in response.text
    api.control("faults/clear", {})
    assert [p["identifier"] for p in api.get(PROJECTS).json()] == ["IR-GARBLED1"]


def test_a_partial_answer_is_json_without_the_projects_fields(api: Api) -> None:
    # given
    api.post(PROJECTS, json={"address": "2 Main Rd"})
    api.control("faults", {"rate_garbled": 1.0, "garble": "partial", "routes": "reads"})
    # when
    listed = api.get(PROJECTS).json()
    # then
    assert listed
    assert all("id" not in project and "identifier" not in project for project in listed)
