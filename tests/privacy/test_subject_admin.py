"""Finding a data subject in the admin: by email through the blind index, audited, and the
audit trail's system notes in the reader's language."""

import pytest

from privacy.models import AuditEvent
from tests.factories import DataSubjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = UserFactory(username="ada", is_superuser=True, is_staff=True)
    client.force_login(staff)
    return client, staff


def test_a_subject_is_found_by_email_and_the_search_is_audited(staff_client):
    client, staff = staff_client
    erika = DataSubjectFactory(email="erika@example.org")
    other = DataSubjectFactory(email="max@example.org")

    page = client.get("/admin/privacy/datasubject/?q= Erika@Example.org ").content.decode()

    assert str(erika.public_id) in page and str(other.public_id) not in page
    event = AuditEvent.objects.get(action="subject.searched")
    assert event.acting_user == staff and event.subject_public_id == erika.public_id
    assert "erika" not in str(event.details).lower() and "erika" not in event.reason.lower()


def test_a_search_that_finds_nobody_is_audited_too(staff_client):
    client, staff = staff_client
    DataSubjectFactory(email="erika@example.org")

    page = client.get("/admin/privacy/datasubject/?q=nobody@example.org").content.decode()

    assert "0 results" in page or "0 Ergebnisse" in page
    event = AuditEvent.objects.get(action="subject.searched")
    assert event.details == {"found": 0} and "nobody" not in str(event.details)


def test_a_subject_is_found_by_its_public_id_and_text_finds_nothing(staff_client):
    client, _staff = staff_client
    erika = DataSubjectFactory(email="erika@example.org")

    by_id = client.get(f"/admin/privacy/datasubject/?q={erika.public_id}").content.decode()
    by_text = client.get("/admin/privacy/datasubject/?q=Erika").content.decode()

    assert str(erika.public_id) in by_id and str(erika.public_id) not in by_text


def test_the_audit_list_shows_system_notes_in_the_readers_language(staff_client):
    client, _staff = staff_client
    subject = DataSubjectFactory()
    client.get(f"/admin/privacy/datasubject/{subject.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")

    german = client.get("/admin/privacy/auditevent/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = client.get("/admin/privacy/auditevent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "In der Verwaltung geöffnet" in german and "Opened in the admin" not in german
    assert "Opened in the admin" in english
