"""Audit reasons: a code plus an optional note that passes the redaction gate before it is
stored (the log is kept for years). Asserted on the stored bytes."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import translation

from privacy.models import AuditEvent
from privacy.services import audit_record, legal_hold_place
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


def _raw(pk: int) -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reason_code, reason, details FROM privacy_auditevent WHERE id = %s", [pk]
        )
        return cursor.fetchone()


def test_the_note_and_the_details_are_stored_redacted():
    subject = DataSubjectFactory(name="Jonas Becker")

    event = audit_record(
        action="subject.viewed",
        acting_user=None,
        subject=subject,
        reason_code=AuditEvent.Reason.OTHER,
        reason="Herr Becker bat um Rückruf: jonas.becker@example.org",
        details={"intent": "rueckruf-jonas-becker", "n": 3},
    )

    code, note, details = _raw(event.pk)
    assert code == "other"
    assert "Becker" not in note and "example.org" not in note and "bat um Rückruf" in note
    assert "becker" not in str(details).lower() and "rueckruf" in str(details)


def test_an_opaque_id_in_the_details_is_kept_whole_though_its_digits_look_like_a_phone():
    # Found in CI: "90521060-1523-…" became "[PHONE]-42c7-…" under the phone pattern.
    public_id = "90521060-1523-42c7-a273-3912cb7ce310"

    event = audit_record(
        action="message.redaction_flagged",
        acting_user=None,
        details={"conversation": public_id, "note": "call 0176 12345678"},
    )

    event.refresh_from_db()
    assert event.details["conversation"] == public_id
    assert "12345678" not in event.details["note"]


def test_an_unknown_reason_code_is_refused():
    with pytest.raises(ValueError, match="reason code"):
        audit_record(action="x", acting_user=None, reason_code="because")


def test_a_legal_hold_reason_is_coded_and_redacted():
    subject = DataSubjectFactory(name="Jonas Becker")

    hold = legal_hold_place(acting_user=None, reason="Klage von Jonas Becker", subject=subject)

    event = AuditEvent.objects.get(action="legal_hold.placed")
    assert event.reason_code == AuditEvent.Reason.LEGAL_OBLIGATION
    assert "Becker" not in event.reason and "Becker" not in hold.reason
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM privacy_legalhold")
        assert "Becker" not in cursor.fetchone()[0]


def test_the_admin_log_shows_the_codes_label(client, admin_user):
    audit_record(action="subject.email_revealed", acting_user=None, reason_code="order_lookup")
    client.force_login(admin_user)

    with translation.override("en"):
        page = client.get("/admin/privacy/auditevent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Looking up an order" in page


def test_the_migration_codes_old_reasons_and_redacts_the_rest():
    # given rows as the code wrote them before reason codes
    old = {
        "support request": AuditEvent.objects.create(action="a", reason="support request"),
        "operator command": AuditEvent.objects.create(action="b", reason="operator command"),
        "request 7": AuditEvent.objects.create(action="c", reason="request 7"),
        "typed": AuditEvent.objects.create(
            action="d", reason="Herr Schmidt bat um Rückruf, 0171 2345678"
        ),
    }
    approved = AuditEvent.objects.create(
        action="teaching.approved", details={"intent": "erstattung-anna-0171-2345678"}
    )
    migration = importlib.import_module("privacy.migrations.0012_audit_reason_codes")

    # when the data migration runs
    migration.reasons_coded_and_redacted(apps, None)

    # then
    assert _raw(old["support request"].pk)[:2] == ("support", "")
    assert _raw(old["operator command"].pk)[:2] == ("operator", "")
    assert _raw(old["request 7"].pk)[:2] == ("data_request", "request 7")
    code, note, _details = _raw(old["typed"].pk)
    assert code == "other" and "Schmidt" not in note and "2345678" not in note
    assert "anna" not in str(_raw(approved.pk)[2])


def test_the_audit_api_gives_the_code_and_its_label(client):
    from staff import roles
    from tests.factories import UserFactory

    audit_record(action="subject.email_revealed", acting_user=None, reason_code="order_lookup")
    client.force_login(UserFactory(role=roles.PRIVACY_OFFICER))

    body = client.get("/api/v1/privacy/audit-events/", HTTP_ACCEPT_LANGUAGE="en").json()

    event = body["results"][0]
    assert (event["reason_code"], event["reason_label"]) == ("order_lookup", "Looking up an order")
