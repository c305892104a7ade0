"""The operator console in a real browser (Debian's Chromium driven by Playwright) against the local stack: an
operator signs in, sees a paid order's project synced, filters to the failed ones, bulk-syncs them once OpenSolar
has recovered, re-runs a flagged order after its fix, and moves an installation request on — checking what the
page shows at each step, with no console error and no request the OpenAPI document does not describe."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from local.scenarios.sample_catalog import BATTERY_ID, INVERTER_ID, PANEL_ID, SMALL_BATTERY_ID, order_line, sample_order
from local.state_file import console_link
from tests.e2e.conftest import Api, wait_until
from tests.e2e.test_opensolar_out import fake, synced
from tests.e2e.test_paid_order_automation import automation_done, catalog, new_order_id, put_order  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
# A Chromium on PATH (Debian's, from `make setup-browser`), else None: Playwright's own, which `make setup-browser`
# installs where there is no chromium and no apt-get.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The flags Chromium needs on a machine with no outside network: without the background-networking ones it keeps
# opening connections that are refused, and at each start it looks up hosts it cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = ROOT / "docs" / "console.png"


def documented_operations() -> list[tuple[str, re.Pattern[str]]]:
    """(METHOD, path pattern) for every operation in openapi.json; a trailing slash is allowed as the API allows it."""
    document = json.loads((ROOT / "openapi.json").read_text())
    operations = []
    for path, methods in document["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "/?$")
        operations += [(method.upper(), pattern) for method in methods]
    return operations


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except PlaywrightError as error:
            pytest.fail(f"no browser to drive ({error.message.splitlines()[0]}): `make setup-browser` installs one")
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, local_stack: dict[str, Any]) -> Iterator[Page]:
    """A laptop-sized page that records console errors and every request it makes."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    requests: list[tuple[str, str]] = []
    answers: list[str] = []
    opened.on("console", lambda message: _record_console(message, problems, answers, local_stack["api_url"]))
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on("request", lambda request: _record_request(request, local_stack["api_url"], requests))
    refusals: list[str] = []
    opened.on(
        "response",
        lambda response: (
            refusals.append(f"{response.url} {response.status} {response.text()}") if response.status >= 400 else None
        ),
    )
    opened.refusals = refusals  # type: ignore[attr-defined]
    opened.set_default_timeout(20_000)
    opened.problems = problems  # type: ignore[attr-defined]
    opened.requests = requests  # type: ignore[attr-defined]
    opened.answers = answers  # type: ignore[attr-defined]
    yield opened
    context.close()


def _record_console(message: ConsoleMessage, problems: list[str], answers: list[str], api_url: str) -> None:
    """Errors, except Chromium's own line for an API answer of 4xx, which the page handles (kept in `answers`)."""
    if message.type != "error":
        return
    url = str(message.location.get("url", ""))
    if message.text.startswith("Failed to load resource") and url.startswith(api_url) and "/console/" not in url:
        answers.append(f"{url.removeprefix(api_url)} {message.text.rsplit('status of ', 1)[-1]}")
    else:
        problems.append(f"console error: {message.text} ({url})")


def _record_request(request: Request, api_url: str, requests: list[tuple[str, str]]) -> None:
    if request.url.startswith(api_url):
        requests.append((request.method, request.url.removeprefix(api_url).split("?")[0]))


def assert_every_request_documented(page: Page) -> None:
    """Every request the page made is the console's own file or an operation of openapi.json."""
    operations = documented_operations()
    for method, path in page.requests:  # type: ignore[attr-defined]
        if path.startswith("/console/"):
            continue
        assert any(method == m and pattern.match(path) for m, pattern in operations), (method, path)


def handled_answers(page: Page) -> set[str]:
    """The 4xx answers the page met and handled, but "no webhook registered yet" (a 404 at sign-in only while no
    other test of the session has registered the webhook)."""
    return set(page.answers) - {"/opensolar/webhook-registration 404 (NOT FOUND)"}  # type: ignore[attr-defined]


def row(page: Page, installation_request_id: str) -> Any:
    return page.locator(f'#project-table tbody tr[data-id="{installation_request_id}"]')


def answer(page: Page) -> Any:
    return page.locator("#answer p")


def paid_request(api: Api, label: str, items: list[dict[str, Any]] | None = None, **order: Any) -> str:
    order_id = new_order_id(label)
    put_order(api, sample_order(order_id, items, **order))
    view = automation_done(api, order_id)
    assert view["automation"]["state"] == "created", view
    return str(view["installation_request"]["id"])


def sync_status(api: Api, installation_request_id: str) -> str:
    return str(api.request("GET", f"/opensolar/projects/{installation_request_id}").json()["sync_status"])


def test_an_operator_works_through_the_console(
    page: Page,
    api: Api,
    local_stack: dict[str, Any],
    catalog: None,  # noqa: F811 - the sample catalog, through the API
    tmp_path: Path,
) -> None:
    # given a paid order synced to OpenSolar, two whose syncs failed while OpenSolar refused every call (an unpaid
    # plan: 403, failed at once), and an order flagged for a battery too small for its inverter
    synced_request = paid_request(api, "console-synced")
    synced(api, synced_request)
    fake(local_stack, "plan", {"paid": False})
    try:
        failed_requests = [paid_request(api, "console-failed"), paid_request(api, "console-failed")]
        for request_id in failed_requests:
            wait_until(lambda request_id=request_id: sync_status(api, request_id) == "failed", timeout_s=30)
    finally:
        fake(local_stack, "plan", {"paid": True})
    flagged = new_order_id("console-flagged")
    small = [order_line(INVERTER_ID), order_line(SMALL_BATTERY_ID, 4), order_line(PANEL_ID, 10)]
    put_order(api, sample_order(flagged, small))
    assert automation_done(api, flagged)["automation"]["state"] == "flagged"

    # when the operator opens the console link `make up` prints
    page.goto(console_link(local_stack))
    # then they are signed in, the token is out of the address bar, and the health figures are filled in
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#who-name")).not_to_be_empty()
    assert "#token=" not in page.url
    expect(page.locator("#fig-success")).to_have_text(re.compile(r"^\d+(\.\d)? %$"))
    expect(page.locator("#count-failed")).to_have_text(re.compile(r"^[1-9]\d*$"))

    # when they look up the paid order's installation request by id, from the keyboard
    page.locator("#find input[name=id]").fill(synced_request)
    page.keyboard.press("Enter")
    # then its project is shown synced, with the OpenSolar project id, and the heading has the focus
    expect(page.locator("#detail-title")).to_have_text(f"Project {synced_request}")
    expect(page.locator("#detail-title")).to_be_focused()
    facts = page.locator("#detail-facts")
    expect(facts.locator("dd .badge.sync-synced")).to_have_text("synced")
    expect(facts).to_contain_text(re.compile(r"OpenSolar project\s*\d+"))
    expect(page.locator("#sync-logs tbody")).to_contain_text("create")
    expect(page.locator("#audit tbody")).to_contain_text("ssr_created")

    # when they filter to the failed syncs
    page.locator("#filters select[name=sync_status]").select_option("failed")
    page.locator("#filters button[type=submit]").click()
    # then only failed rows are listed, the two failed requests among them, with the reason on the badge
    for request_id in failed_requests:
        expect(row(page, request_id).locator(".badge.sync-failed")).to_be_visible()
    others = page.locator("#project-table tbody").locator(".badge.sync-synced, .badge.sync-pending")
    expect(others).to_have_count(0)
    expect(row(page, failed_requests[0]).locator("small.why")).to_contain_text(re.compile("plan", re.IGNORECASE))

    # when OpenSolar has recovered and they select the two and double-click "Sync selected"
    for request_id in failed_requests:
        row(page, request_id).locator("input[type=checkbox]").check()
    expect(page.locator("#selected-count")).to_have_text("2")
    page.locator("#sync-selected").dblclick()
    # then one bulk sync went out (the double click queued nothing twice) and both are synced, once each
    expect(answer(page)).to_have_text("2 syncs queued.")
    for request_id in failed_requests:
        synced(api, request_id)
    projects = fake(local_stack, "projects")
    for request_id in failed_requests:
        assert [project["identifier"] for project in projects].count(request_id) == 1
    bulk_calls = [call for call in page.requests if call == ("POST", "/opensolar/projects/sync")]  # type: ignore[attr-defined]
    assert len(bulk_calls) == 1
    page.locator("#filters button[type=submit]").click()
    for request_id in failed_requests:
        expect(row(page, request_id)).to_have_count(0)

    # when the flagged order is fixed (the right battery) and they re-run it from "Orders needing attention"
    page.locator("#refresh-attention").click()
    flagged_row = page.locator("#attention-table tbody tr", has_text=flagged)
    expect(flagged_row).to_contain_text("Battery too small")
    put_order(
        api,
        sample_order(
            flagged,
            [order_line(INVERTER_ID), order_line(BATTERY_ID, 2), order_line(PANEL_ID, 10)],
            updated_at="2026-11-25T11:00:00Z",
        ),
    )
    flagged_row.get_by_role("button", name="Re-run automation").click()
    # then the page says the automation started again, the order gets its records, and it leaves the list
    expect(answer(page)).to_contain_text(f"Automation of {flagged} started again")
    assert automation_done(api, flagged)["automation"]["state"] == "created"
    page.locator("#refresh-attention").click()
    expect(page.locator("#attention-table tbody tr", has_text=flagged)).to_have_count(0)

    # when they open the synced order's installation request and ask for a move the contract forbids
    page.locator("#find input[name=id]").fill(synced_request)
    page.locator("#find button").click()
    expect(page.locator("#detail-title")).to_have_text(f"Project {synced_request}")
    page.locator("#move-form select[name=status]").select_option("completed")
    page.locator("#move-form button[type=submit]").click()
    # then the API's refusal is shown in words (the moves it allows), not a stack trace
    expect(answer(page)).to_have_class("error")
    expect(answer(page)).to_contain_text("scheduled")
    # when they move it to scheduled, then to in progress
    for status, words in (("scheduled", "scheduled"), ("in_progress", "in progress")):
        page.locator("#move-form select[name=status]").select_option(status)
        page.locator("#move-form button[type=submit]").click()
        expect(answer(page)).to_have_text(f"{synced_request} is now {words}.")
    # then the page shows it in progress, the API agrees, and the audit has the change
    expect(page.locator("#detail-facts .badge.status-in_progress")).to_have_text("in progress")
    assert api.request("GET", f"/opensolar/projects/{synced_request}").json()["status"] == "in_progress"
    expect(page.locator("#audit tbody")).to_contain_text("in_progress")

    # when they close the project, list every request and refresh the figures
    page.locator("#close-detail").click()
    expect(page.locator("#detail")).to_be_hidden()
    page.locator("#filters select[name=sync_status]").select_option("")
    page.locator("#filters button[type=submit]").click()
    expect(row(page, synced_request).locator(".badge.status-in_progress")).to_be_visible()
    page.locator("#refresh-health").click()
    expect(page.locator("#refresh-health")).to_be_enabled()
    expect(page.locator("#count-synced")).to_have_text(re.compile(r"^[1-9]\d*$"))
    page.evaluate("window.scrollTo(0, 0)")
    # (UPDATE_SCREENSHOT=1 keeps this view as docs/console.md's screenshot)
    page.screenshot(path=str(SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") else tmp_path / "console.png"))
    # and the page logged no error; the only 4xx answers were "no webhook registered yet" and the refused move, both
    # handled and shown; and every request it made is the console's own file or a documented operation
    assert page.problems == []  # type: ignore[attr-defined]
    assert handled_answers(page) == {f"/installation-requests/{synced_request} 409 (CONFLICT)"}, page.refusals  # type: ignore[attr-defined]
    assert_every_request_documented(page)


MON_TO_SAT = ["mon", "tue", "wed", "thu", "fri", "sat"]


def working_days_from_tomorrow() -> Iterator[str]:
    """The days a Monday-to-Saturday crew works, from tomorrow (UTC, as the API counts)."""
    day = datetime.now(UTC).date() + timedelta(days=1)
    while True:
        if day.weekday() != 6:
            yield day.isoformat()
        day += timedelta(days=1)


def grid_cell(page: Page, crew_id: str, day: str) -> Any:
    return page.locator(f'#schedule-grid tr[data-crew="{crew_id}"] td[data-date="{day}"]')


def test_an_operator_books_moves_and_cancels_a_crew_from_a_project_and_sees_it_on_the_schedule(
    page: Page,
    api: Api,
    local_stack: dict[str, Any],
    catalog: None,  # noqa: F811 - the sample catalog, through the API
) -> None:
    # given a crew of a branch of its own doing one install a day, Monday to Saturday, and two paid orders of it
    branch_id = f"console-{uuid.uuid4().hex[:8]}"
    crew_id = f"crew-{branch_id}"
    crew = {"name": "Rudo's crew", "branch_id": branch_id, "skills": ["solar", "hybrid"], "working_days": MON_TO_SAT}
    assert api.request("PUT", f"/crews/{crew_id}", json=crew).status_code == 201
    booked_here, booked_elsewhere = (paid_request(api, "console-crew", branch_id=branch_id) for _ in range(2))
    customer = api.request("GET", f"/opensolar/projects/{booked_here}").json()["customer_name"]
    first_day, second_day = itertools.islice(working_days_from_tomorrow(), 2)
    booking_puts = ("PUT", f"/installation-requests/{booked_here}/booking")

    # when the operator picks the branch in the schedule
    page.goto(console_link(local_stack))
    expect(page.locator("#app")).to_be_visible()
    page.locator("#branch-form input[name=branch_id]").fill(branch_id)
    page.locator("#branch-form button[type=submit]").click()
    # then the crew's row shows the first working day free, and no booking
    expect(page.locator("#week-info")).to_contain_text(branch_id)
    expect(grid_cell(page, crew_id, first_day)).to_have_text("1 free")

    # when they open a request and choose the first slot listed
    page.locator("#find input[name=id]").fill(booked_here)
    page.keyboard.press("Enter")
    expect(page.locator("#booking-now")).to_have_text("Not booked.")
    page.get_by_role("button", name="Choose a slot").click()
    slot = page.locator("#slots tbody tr").first
    expect(slot).to_contain_text(first_day)
    expect(slot).to_contain_text("Rudo's crew")
    slot.get_by_role("button", name="Book").click()
    # then it is booked on that day, and the schedule shows it there (the day full, Sunday a day of rest)
    expect(answer(page)).to_have_text(f"{booked_here} booked: Rudo's crew on {first_day}.")
    expect(page.locator("#booking-now")).to_have_text(f"Rudo's crew on {first_day}.")
    expect(page.locator("#detail-facts .badge.status-scheduled")).to_have_text("scheduled")
    expect(page.locator("#detail-facts")).to_contain_text(re.compile(rf"Installation date\s*{first_day}"))
    expect(grid_cell(page, crew_id, first_day)).to_contain_text(f"{booked_here} {customer}")
    expect(grid_cell(page, crew_id, first_day)).to_contain_text("full")
    sunday = (date.fromisoformat(first_day) + timedelta(days=6 - date.fromisoformat(first_day).weekday())).isoformat()
    expect(grid_cell(page, crew_id, sunday)).to_have_text("not working")
    # and the next week does not show it, the previous one again does
    page.locator("#next-week").click()
    expect(grid_cell(page, crew_id, first_day)).to_have_count(0)
    page.locator("#previous-week").click()
    expect(grid_cell(page, crew_id, first_day)).to_contain_text(booked_here)

    # when they move it to the next slot listed, then cancel it
    page.get_by_role("button", name="Choose a slot").click()
    page.locator("#slots tbody tr").first.get_by_role("button", name="Move here").click()
    expect(answer(page)).to_have_text(f"{booked_here} moved to Rudo's crew on {second_day}.")
    expect(grid_cell(page, crew_id, second_day)).to_contain_text(booked_here)
    assert api.request("GET", f"/installation-requests/{booked_here}/booking").json()["date"] == second_day
    page.get_by_role("button", name="Cancel booking").click()
    # then the request holds no booking, and the day is free again
    expect(answer(page)).to_contain_text(f"Booking of {booked_here} cancelled")
    expect(page.locator("#booking-now")).to_have_text("Not booked.")
    expect(page.locator("#cancel-booking")).to_be_hidden()
    expect(grid_cell(page, crew_id, second_day)).to_have_text("1 free")
    assert api.request("GET", f"/installation-requests/{booked_here}/booking").status_code == 404

    # when they list the slots, someone else takes the first one meanwhile, and they book it
    page.get_by_role("button", name="Choose a slot").click()
    expect(page.locator("#slots tbody tr").first).to_contain_text(first_day)
    taken = api.request("PUT", f"/installation-requests/{booked_elsewhere}/booking", json={})
    assert taken.json()["date"] == first_day, taken.text
    page.locator("#slots tbody tr").first.get_by_role("button", name="Book").click()
    # then the refusal is shown in words
    expect(answer(page)).to_have_class("error")
    expect(answer(page)).to_contain_text("fully booked")

    # when they double-click "Book first free slot"
    puts_before = page.requests.count(booking_puts)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Book first free slot").dblclick()
    # then one booking was sent and the request holds one place: the first day left
    expect(answer(page)).to_have_text(f"{booked_here} booked: Rudo's crew on {second_day}.")
    expect(page.locator("#book-first")).to_be_enabled()
    assert page.requests.count(booking_puts) == puts_before + 1  # type: ignore[attr-defined]
    assert api.request("GET", f"/installation-requests/{booked_here}/booking").json()["date"] == second_day
    schedule = api.request("GET", f"/crews/{crew_id}/schedule", params={"from": first_day, "days": "14"}).json()
    entries = [entry["installation_request_id"] for entry in schedule["items"]]
    assert entries.count(booked_here) == 1, schedule
    assert sorted(entries) == sorted([booked_here, booked_elsewhere])
    expect(grid_cell(page, crew_id, second_day)).to_contain_text(booked_here)
    # and the only 4xx the page met was the refused booking, shown; every request it made is documented
    assert page.problems == []  # type: ignore[attr-defined]
    assert handled_answers(page) == {f"/installation-requests/{booked_here}/booking 409 (CONFLICT)"}, page.refusals  # type: ignore[attr-defined]
    assert_every_request_documented(page)


def test_the_console_reads_on_a_phone_and_asks_for_sign_in_without_a_token(
    page: Page, local_stack: dict[str, Any]
) -> None:
    # given a phone-sized window and no token
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(local_stack["console_url"])
    # then the sign-in form is shown, and nothing is wider than the screen
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    # when signed in by the link, the page fits the phone's width (wide tables scroll inside their own box)
    page.goto(console_link(local_stack))
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#count-synced")).to_have_text(re.compile(r"^\d+$"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # and the first Tab reaches the skip link
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    assert page.problems == []  # type: ignore[attr-defined]


def test_staff_sign_in_with_their_cognito_user_and_sign_out(page: Page, local_stack: dict[str, Any]) -> None:
    # given the console without a token, and the stack's staff user (a Cognito user of the staff pool)
    staff = local_stack["users"]["staff"]
    page.goto(local_stack["console_url"])
    # when they sign in with their email and password (InitiateAuth from the page, to the pool's endpoint)
    page.locator("#sign-in-form input[name=username]").fill(staff["username"])
    page.locator("#sign-in-form input[name=password]").fill(staff["password"])
    page.locator("#sign-in-form button[type=submit]").click()
    # then the console opens as them, and its API calls are authorised with the token Cognito gave
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#who-name")).to_have_text(staff["username"])
    expect(page.locator("#count-synced")).to_have_text(re.compile(r"^\d+$"))
    # when they sign out, then the sign-in form is back, and a reload does not sign them in again
    page.locator("#sign-out").click()
    expect(page.locator("#sign-in")).to_be_visible()
    page.reload()
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    # and a wrong password is refused in words
    page.locator("#sign-in-form input[name=username]").fill(staff["username"])
    page.locator("#sign-in-form input[name=password]").fill("not-the-password-1A")
    page.locator("#sign-in-form button[type=submit]").click()
    expect(answer(page)).to_have_class("error")
    expect(page.locator("#app")).to_be_hidden()
    assert [problem for problem in page.problems if "status of 400" not in problem] == []  # type: ignore[attr-defined]
