"""The order's notes: which lines a CRM write keeps (the automation's) and how a note becomes one line."""

from __future__ import annotations

from solar_core.automation.outreach.messages import flag_note
from solar_core.orders.notes import AUTOMATION_PREFIX, as_line, keeping_automation_lines

FLAG = flag_note(["Battery too small for inverter"])
OTHER_FLAG = f"{AUTOMATION_PREFIX}Another automation line."


def test_the_flag_line_flag_order_writes_is_an_automation_line() -> None:
    assert FLAG.startswith(AUTOMATION_PREFIX)


def test_automation_lines_a_crm_write_lacks_are_appended_in_their_stored_order() -> None:
    # given stored notes with CRM text and two automation lines
    stored = f"Customer prefers mornings.\n{FLAG}\nCall first.\n{OTHER_FLAG}"
    # when the CRM writes notes of its own that hold neither
    notes = keeping_automation_lines("Gate code 1234.", stored)
    # then the CRM's text replaces the old text, and both automation lines follow it
    assert notes == f"Gate code 1234.\n{FLAG}\n{OTHER_FLAG}"


def test_a_crm_write_holding_the_automation_lines_anywhere_is_kept_as_written() -> None:
    incoming = f"{OTHER_FLAG}\nNew text.\n{FLAG}"
    assert keeping_automation_lines(incoming, f"Old text.\n{FLAG}\n{OTHER_FLAG}") == incoming


def test_empty_crm_notes_keep_only_the_automation_lines_and_nothing_stored_changes_nothing() -> None:
    assert keeping_automation_lines("", f"Old text.\n{FLAG}\n{FLAG}") == FLAG
    assert keeping_automation_lines("New text.", "") == "New text."
    assert keeping_automation_lines("", "") == ""


def test_a_line_that_only_mentions_the_prefix_is_the_crms_own() -> None:
    stored = f"See {AUTOMATION_PREFIX}above."
    assert keeping_automation_lines("Replaced.", stored) == "Replaced."


def test_a_note_is_one_line_with_single_spaces() -> None:
    assert as_line("Incompatible:\n  INV-5KW  with\tBAT-1KWH ") == "Incompatible: INV-5KW with BAT-1KWH"
