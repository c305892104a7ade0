"""Throttling: 10 project writes and 100 project reads per minute per user, a daily cap per org, 429 bodies."""

from __future__ import annotations

import time

from tests.contract.support import PROJECTS, WEBHOOKS, Api, project_path


def _write(api: Api, number: int) -> int:
    return api.post(PROJECTS, json={"address": f"{number} Main Rd"}).status_code


def test_the_eleventh_write_in_a_minute_is_a_429_without_retry_after(api: Api) -> None:
    # given
    statuses = [_write(api, number) for number in range(10)]
    # when
    throttled = api.post(PROJECTS, json={"address": "11 Main Rd"})
    # then
    assert statuses == [201] * 10
    assert throttled.status_code == 429
    assert throttled.json()["detail"].startswith("Request was throttled.")
    assert "Retry-After" not in throttled.headers
    assert len(api.get(PROJECTS).json()) == 10


def test_patch_put_and_delete_count_as_writes_too(api: Api) -> None:
    # given
    project_id = api.post(PROJECTS, json={"address": "1 Main Rd"}).json()["id"]
    path = project_path(project_id)
    statuses = [api.patch(path, json={"notes": str(number)}).status_code for number in range(8)]
    statuses.append(api.put(path, json={"address": "2 Side St"}).status_code)
    # when
    throttled = api.delete(path)
    # then
    assert statuses == [200] * 9
    assert throttled.status_code == 429


def test_a_429_carries_retry_after_when_the_fake_is_told_to_send_one(api: Api) -> None:
    # given
    api.control("limits", {"retry_after": True})
    for number in range(10):
        _write(api, number)
    # when
    throttled = api.post(PROJECTS, json={"address": "11 Main Rd"})
    # then
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60


def test_the_write_window_slides_so_writes_are_allowed_again_later(api: Api) -> None:
    # given a short window, used up
    api.control("limits", {"write_limit_per_minute": 2, "window_s": 0.5})
    assert [_write(api, 1), _write(api, 2), _write(api, 3)] == [201, 201, 429]
    # when
    time.sleep(0.55)
    # then
    assert _write(api, 4) == 201


def test_the_101st_read_in_a_minute_is_a_429(api: Api) -> None:
    # given
    statuses = {api.get(PROJECTS).status_code for _ in range(100)}
    # when
    throttled = api.get(PROJECTS)
    # then
    assert statuses == {200}
    assert throttled.status_code == 429


def test_reads_and_writes_are_counted_separately(api: Api) -> None:
    # given the writes are used up
    for number in range(10):
        _write(api, number)
    # when
    read = api.get(PROJECTS)
    # then
    assert read.status_code == 200


def test_limits_are_per_user(api: Api, anonymous: Api) -> None:
    # given the first user used up the writes
    for number in range(10):
        _write(api, number)
    api.control("users", {"username": "second@example.com", "password": "pw-2"})
    anonymous.log_in("second@example.com", "pw-2")
    # when
    second_users_write = anonymous.post(PROJECTS, json={"address": "1 Other Rd"})
    # then
    assert _write(api, 11) == 429
    assert second_users_write.status_code == 201


def test_the_daily_cap_counts_every_call_of_the_org(api: Api) -> None:
    # given
    api.control("limits", {"daily_limit": 3})
    statuses = [api.get(WEBHOOKS).status_code, api.get(PROJECTS).status_code, _write(api, 1)]
    # when
    capped = api.get(WEBHOOKS)
    # then
    assert statuses == [200, 200, 201]
    assert capped.status_code == 429


def test_throttled_calls_do_not_count_against_the_window(api: Api) -> None:
    # given a window that is full, hammered while full
    api.control("limits", {"write_limit_per_minute": 1, "window_s": 0.5})
    assert _write(api, 1) == 201
    assert [_write(api, 2) for _ in range(5)] == [429] * 5
    # when
    time.sleep(0.55)
    # then
    assert _write(api, 3) == 201
