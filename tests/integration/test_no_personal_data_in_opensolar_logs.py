"""No personal data in the OpenSolar functions' logs: the sync sends the customer's email and phone to OpenSolar as a
contact, webhooks come back with the project, staff move the installation request; none of it is logged."""

from __future__ import annotations

import logging

import pytest

from local.scenarios.sample_catalog import CUSTOMER
from tests.support.opensolar_stack import SyncStack, project_delivery
from tests.support.ssr_stack import logged

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
PERSONAL = (CUSTOMER["email"], CUSTOMER["phone"], CUSTOMER["whatsapp_id"])
SERVICE = "solar-backbone"  # the Powertools logger of every function (POWERTOOLS_SERVICE_NAME)


def test_sync_webhooks_and_staff_changes_log_no_email_or_phone(
    fresh: SyncStack, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger=SERVICE)  # every level our functions log at; not botocore's wire logs
    # given an installation request synced to OpenSolar (its contact carries the email and phone)
    request_id = fresh.installation_request()
    assert fresh.deliver() == {"batchItemFailures": []}
    (project,) = fresh.projects_named(request_id)
    assert project["contacts"][0]["email"] == CUSTOMER["email"]
    # when OpenSolar reports a stage, and staff read and move the request
    delivery = project_delivery(project["id"], request_id, stage_id=7, milestone=2, at=1_795_000_000, event_id=1)
    assert fresh.webhook(delivery).status == 200
    fresh.process_webhooks()
    # then nothing logged carries the contact details
    captured = capsys.readouterr()
    text = (
        logged([record for record in caplog.records if record.name.startswith(SERVICE)]) + captured.out + captured.err
    )
    assert text.strip()
    assert [value for value in PERSONAL if value in text] == []
