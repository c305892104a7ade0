"""The project list: a bare array, page/limit with the short-page stop rule, ordering, filters and their quirks."""

from __future__ import annotations

import itertools
from datetime import datetime

from local.opensolar_fake import FakeOpenSolar
from tests.contract.support import PROJECTS, Api


def _given_projects(fake: FakeOpenSolar, count: int) -> list[int]:
    return [
        fake.create_project(address=f"{number} Main Rd", identifier=f"ir_{number}")["id"] for number in range(count)
    ]


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_the_project_list_is_a_bare_json_array(api: Api, fake: FakeOpenSolar) -> None:
    # given
    _given_projects(fake, 2)
    # when
    body = api.get(PROJECTS).json()
    # then
    assert isinstance(body, list)
    assert len(body) == 2


def test_walking_pages_stops_at_the_first_page_shorter_than_the_limit(api: Api, fake: FakeOpenSolar) -> None:
    # given
    created = _given_projects(fake, 7)
    # when
    pages = []
    page = 1
    while True:
        items = api.get(PROJECTS, params={"page": page, "limit": 3}).json()
        pages.append(items)
        if len(items) < 3:
            break
        page += 1
    # then
    assert [len(items) for items in pages] == [3, 3, 1]
    assert [item["id"] for items in pages for item in items] == created


def test_a_page_past_the_end_is_an_empty_array(api: Api, fake: FakeOpenSolar) -> None:
    # given
    _given_projects(fake, 3)
    # when
    response = api.get(PROJECTS, params={"page": 2, "limit": 3})
    # then
    assert response.status_code == 200
    assert response.json() == []


def test_page_zero_is_a_404_invalid_page(api: Api) -> None:
    # when
    response = api.get(PROJECTS, params={"page": 0})
    # then
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_the_default_page_holds_20_and_limit_is_capped_by_the_max_page_size(api: Api, fake: FakeOpenSolar) -> None:
    # given
    _given_projects(fake, 23)
    # when
    default_page = api.get(PROJECTS).json()
    api.control("quirks", {"max_page_size": 5})
    capped_page = api.get(PROJECTS, params={"limit": 10}).json()
    # then
    assert len(default_page) == 20
    assert len(capped_page) == 5


def test_without_ordering_projects_come_by_id(api: Api, fake: FakeOpenSolar) -> None:
    # given projects where the first one is modified last
    created = _given_projects(fake, 3)
    fake.update_project(created[0], notes="edited")
    # when
    ids = [item["id"] for item in api.get(PROJECTS).json()]
    # then
    assert ids == created


def test_ordering_by_modified_date_works_in_both_directions(api: Api, fake: FakeOpenSolar) -> None:
    # given
    first, second, third = _given_projects(fake, 3)
    fake.update_project(first, notes="edited")
    # when
    ascending = api.get(PROJECTS, params={"ordering": "modified_date"}).json()
    descending = api.get(PROJECTS, params={"ordering": "-modified_date"}).json()
    # then
    assert [item["id"] for item in ascending] == [second, third, first]
    assert [item["id"] for item in descending] == [first, third, second]
    assert _when(ascending[0]["modified_date"]) < _when(ascending[-1]["modified_date"])
    assert _when(descending[0]["modified_date"]) > _when(descending[-1]["modified_date"])


def test_modified_dates_strictly_increase_even_for_back_to_back_writes(api: Api, fake: FakeOpenSolar) -> None:
    # given many writes within a few milliseconds
    _given_projects(fake, 30)
    # when
    stamps = [_when(item["modified_date"]) for item in api.get(PROJECTS, params={"limit": 30}).json()]
    # then
    assert all(earlier < later for earlier, later in itertools.pairwise(stamps))


def test_the_inverted_ordering_quirk_makes_the_sign_mean_the_opposite(api: Api, fake: FakeOpenSolar) -> None:
    # given
    _given_projects(fake, 3)
    api.control("quirks", {"invert_ordering": True})
    # when
    newest_first_asked = api.get(PROJECTS, params={"ordering": "-modified_date"}).json()
    # then the first and last modified_date reveal the real direction
    assert _when(newest_first_asked[0]["modified_date"]) < _when(newest_first_asked[-1]["modified_date"])


def test_the_identifier_filter_finds_one_project(api: Api, fake: FakeOpenSolar) -> None:
    # given
    _given_projects(fake, 3)
    # when
    found = api.get(PROJECTS, params={"identifier": "ir_1"}).json()
    # then
    assert [item["identifier"] for item in found] == ["ir_1"]


def test_with_filters_ignored_the_identifier_filter_returns_every_project(api: Api, fake: FakeOpenSolar) -> None:
    # given
    _given_projects(fake, 3)
    api.control("quirks", {"ignore_filters": True})
    # when
    found = api.get(PROJECTS, params={"identifier": "ir_1"}).json()
    # then a client must check the identifier of what it gets
    assert len(found) == 3


def test_search_matches_address_and_contact_names(api: Api, fake: FakeOpenSolar) -> None:
    # given
    fake.create_project(address="9 Jacaranda Ave", contacts_new=[{"first_name": "Tendai", "family_name": "Moyo"}])
    fake.create_project(address="1 Main Rd")
    # when
    by_address = api.get(PROJECTS, params={"search": "jacaranda"}).json()
    by_contact = api.get(PROJECTS, params={"search": "moyo"}).json()
    # then
    assert [item["address"] for item in by_address] == ["9 Jacaranda Ave"]
    assert [item["address"] for item in by_contact] == ["9 Jacaranda Ave"]
