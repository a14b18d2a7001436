import csv
import io
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from privacy.models import AuditEvent, ProcessingActivity, ProcessingAgreement, Processor
from privacy.selectors import channels_without_agreement
from privacy.services import agreement_reviews_check, processing_activities_csv
from staff import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _agreement(processor: Processor, **overrides) -> ProcessingAgreement:
    values = {
        "subject_matter": "Zustellung von Chatnachrichten",
        "duration": "unbefristet",
        "nature_and_purpose": "Übermittlung",
        "data_categories": "Telefonnummer, Nachrichteninhalt",
        "subject_categories": "Kunden",
        "retention_terms": "30 Tage",
        "technical_measures": "TLS, Verschlüsselung",
        "controller_rights_duties": "Weisungsrecht",
        "processor_rights_duties": "Vertraulichkeit",
        "status": ProcessingAgreement.Status.ACTIVE,
        "signed_at": date(2026, 1, 15),
        "review_at": timezone.localdate() + timedelta(days=200),
    }
    return ProcessingAgreement.objects.create(processor=processor, **{**values, **overrides})


@pytest.fixture
def whatsapp():
    return Processor.objects.create(
        name="WhatsApp Ireland Ltd.", address="Dublin", channel="whatsapp"
    )


@pytest.fixture
def officer():
    return UserFactory(role=roles.PRIVACY_OFFICER, email="dsb@example.org")


def test_the_default_record_lists_its_purposes():
    names = set(ProcessingActivity.objects.values_list("name", flat=True))

    assert names == {
        "Support chat",
        "Bot learning",
        "Agent inbox",
        "Messenger channels",
        "Chatbot answers (AI system)",
        "Help centre",
        "Contact form",
        "E-mail support",
        "Answers by e-mail to the contact form",
        "Call backs and e-mail answers",
    }


def test_the_record_lists_the_chatbot_as_an_ai_system_with_its_purpose(officer):
    client = Client()
    client.force_login(officer)

    with translation.override("en"):
        rows = list(csv.reader(io.StringIO(processing_activities_csv())))
    page = client.get("/privacy/activities/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert set(
        ProcessingActivity.objects.filter(is_ai_system=True).values_list("name", flat=True)
    ) == {"Chatbot answers (AI system)", "Bot learning", "E-mail support"}
    header, chatbot = rows[0], next(r for r in rows if r[0] == "Chatbot answers (AI system)")
    assert header[-1] == "AI system" and chatbot[-1] == "yes"
    assert "Answering customers' questions automatically: an AI system" in chatbot[1]
    assert "no decision with legal or similarly significant effect" in chatbot[1]
    support = next(r for r in rows if r[0] == "Support chat")
    assert support[-1] == "no"
    assert "AI system" in page and "Chatbot answers (AI system)" in page


def test_the_record_exports_as_csv():
    rows = list(csv.reader(io.StringIO(processing_activities_csv())))

    # Every active activity but the messenger channels' and e-mail's two, as neither a
    # messenger nor a mailbox is switched on (plus the header row).
    assert len(rows) == 1 + ProcessingActivity.objects.filter(is_active=True).count() - 3
    assert "Messenger channels" not in [row[0] for row in rows]
    assert "E-mail support" not in [row[0] for row in rows]
    chat = next(row for row in rows if row[0] == "Support chat")
    assert "Art. 6" in chat[2] and "30 d" in chat[8]


def test_the_record_lists_the_messenger_channels_while_one_is_active(monkeypatch):
    monkeypatch.setattr("privacy.activity_texts.active_channels", lambda: ["telegram", "web"])

    rows = list(csv.reader(io.StringIO(processing_activities_csv())))

    assert "Messenger channels" in [row[0] for row in rows]


def test_the_seeded_record_reads_in_german():
    with translation.override("de"):
        rows = list(csv.reader(io.StringIO(processing_activities_csv())))

    chat = next(row for row in rows if row[0] == "Kundenservice-Chat")
    assert chat[1] == "Beantwortung von Kundenanfragen im Website-Chat und über Messenger."


def test_every_seeded_activity_text_has_a_german_translation():
    """Every app that seeds activities (privacy, the help centre) lists their texts in
    privacy/activity_texts.py, so none shows in English on a German page."""
    from privacy.activity_texts import MESSENGER_ACTIVITY, SEEDED_TEXTS, TRANSLATED_FIELDS

    texts = {
        getattr(activity, field)
        for activity in ProcessingActivity.objects.all()
        for field in TRANSLATED_FIELDS
        if getattr(activity, field)
    }

    with translation.override("de"):
        untranslated = sorted(text for text in texts if translation.gettext(text) == text)
    assert {"Help centre", "Contact form"} <= texts and texts <= {*SEEDED_TEXTS, MESSENGER_ACTIVITY}
    assert not untranslated, untranslated


def test_a_channel_without_an_active_agreement_is_named(whatsapp):
    assert channels_without_agreement(active_channels=["web", "whatsapp"]) == ["whatsapp"]
    _agreement(whatsapp, status=ProcessingAgreement.Status.DRAFT, signed_at=None)
    assert channels_without_agreement(active_channels=["web", "whatsapp"]) == ["whatsapp"]
    _agreement(whatsapp)
    assert channels_without_agreement(active_channels=["web", "whatsapp"]) == []


def test_an_active_agreement_must_be_signed(whatsapp):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        _agreement(whatsapp, signed_at=None)


def test_the_review_reminder_marks_and_emails_the_privacy_officer(
    whatsapp, officer, django_capture_on_commit_callbacks
):
    due = _agreement(whatsapp, review_at=timezone.localdate() + timedelta(days=10))

    with django_capture_on_commit_callbacks(execute=True):
        result = agreement_reviews_check(active_channels=["web", "telegram"])

    due.refresh_from_db()
    assert due.status == ProcessingAgreement.Status.EXPIRING
    assert result == {"due": 1, "marked_expiring": 1, "channels_without_agreement": 1}
    assert mail.outbox[0].to == ["dsb@example.org"]
    assert "WhatsApp Ireland Ltd." in mail.outbox[0].body and "telegram" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="agreements.reminded").exists()


def test_nothing_due_sends_nothing(whatsapp, officer, django_capture_on_commit_callbacks):
    _agreement(whatsapp)

    with django_capture_on_commit_callbacks(execute=True):
        agreement_reviews_check(active_channels=["web", "whatsapp"])

    assert mail.outbox == []


def test_the_signed_document_is_stored_encrypted_and_downloadable_by_the_officer(whatsapp, officer):
    agreement = _agreement(whatsapp)
    agreement.signed_document = SimpleUploadedFile("av-vertrag.pdf", b"%PDF-1.7 Unterschrift Meta")
    agreement.save()

    stored = (settings.MEDIA_ROOT / "agreements" / agreement.signed_document.name).read_bytes()
    client = Client()
    client.force_login(officer)
    response = client.get(f"/privacy/agreements/{agreement.pk}/document/")

    assert b"Unterschrift" not in stored
    assert response.status_code == 200 and response.content == b"%PDF-1.7 Unterschrift Meta"
    assert AuditEvent.objects.filter(action="agreement.document_opened").exists()


@pytest.mark.parametrize(
    "path", ["/privacy/dashboard/", "/privacy/activities/", "/privacy/activities.csv"]
)
def test_the_privacy_pages_are_for_the_privacy_officer_only(path, officer, agent):
    officer_client, agent_client = Client(), Client()
    officer_client.force_login(officer)
    agent_client.force_login(agent)

    assert officer_client.get(path).status_code == 200
    assert agent_client.get(path).status_code == 403
    assert Client().get(path).status_code == 302


def test_the_dashboard_warns_about_channels_and_lists_open_requests(officer, whatsapp):
    from privacy import registry
    from privacy.services import data_request_create

    source = registry._active_channels_source[:]
    registry.active_channels_source_register(lambda: ["web", "whatsapp"])
    data_request_create(kind="erasure", email="someone@example.org")
    client = Client()
    client.force_login(officer)

    try:
        page = client.get("/privacy/dashboard/").content.decode()
    finally:
        registry._active_channels_source[:] = source

    assert "whatsapp" in page
    assert "Löschung" in page or "Erasure" in page


def test_the_dashboard_names_what_it_counts_and_offers_a_sign_out(officer):
    from privacy.models import DataRequest, PurgeRun

    DataRequest.objects.create(
        kind=DataRequest.Kind.ACCESS, email_index="x" * 64, due_at=timezone.now()
    )
    PurgeRun.objects.create(counts={"conversations_resolved": 3, "mail_files": 1})
    client = Client()
    client.force_login(officer)

    page = client.get("/privacy/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "requests_by_kind" not in page and "conversations_resolved" not in page
    assert "Data subject requests: Access (copy of my data): 1" in page
    assert "Resolved conversations and their messages (from resolution): 3" in page
    assert "mail files: 1" in page and "data subjects:" in page
    assert "webhook deliveries: 0" in page and "consent records: 0" in page
    assert 'action="/inbox/logout/"' in page and "Sign out" in page
