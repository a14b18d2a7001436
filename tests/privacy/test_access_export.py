"""The access export (Art. 15): every category about the subject, the recipients of their
data, a report a customer can read (their language, local time), one audit entry each."""

import io
import json
import re
import zipfile

import pytest
from django.core.management import call_command
from django.utils import timezone

from agents import services as inbox
from agents.models import AgentProfile
from bot.channels.selectors import identity_index
from bot.chat import conversation_escalate, conversation_rate
from bot.models import ChannelIdentity, Conversation
from bot.services import message_append
from event_pipeline.webhooks import webhook_subscription_create
from privacy.models import AuditEvent
from privacy.services import data_export_archive, subject_export
from tests.factories import (
    ConsentRecordFactory,
    ConversationFactory,
    DataSubjectFactory,
    UserFactory,
    processor_with_active_agreement,
)

pytestmark = pytest.mark.django_db

QUESTION = "Wo ist mein Paket 4711? Grüße, Erika Mustermann"


def _receiver(monkeypatch):
    """Webhook receivers answer 200: the outbound HTTP boundary, mocked."""
    sent = []

    class Answer:
        status = 200

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    def urlopen(request, timeout):
        sent.append(request.full_url)
        return Answer()

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    processor = processor_with_active_agreement()
    webhook_subscription_create(
        name="CRM",
        url="https://crm.example.com/hooks/supportdesk",
        events=["message.created", "conversation.resolved"],
        include_personal_data=True,
        processor=processor,
    )
    return sent


@pytest.fixture
def handled(
    queue, agent, knowledge_base, monkeypatch, django_capture_on_commit_callbacks, celery_eager
):
    """handled(language=…): a subject whose conversation was answered by the bot,
    escalated, claimed, viewed, replied to, taught from, had the email revealed,
    resolved and rated, with a webhook receiver and a Telegram identity."""

    def make(language="de"):
        AgentProfile.objects.update_or_create(user=agent, defaults={"display_name": "Jana"})
        queue.language = ""
        queue.save()
        _receiver(monkeypatch)
        subject = DataSubjectFactory(name="Erika Mustermann", email="erika@example.org")
        ChannelIdentity.objects.create(
            channel="telegram",
            external_id="777001",
            external_id_index=identity_index(channel="telegram", external_id="777001"),
            subject=subject,
        )
        with django_capture_on_commit_callbacks(execute=True):
            # Consented to both purposes: teaching from it is allowed (issue 13).
            conversation = ConversationFactory(
                subject=subject, language=language, consent=ConsentRecordFactory(subject=subject)
            )
            message_append(conversation=conversation, sender="customer", text=QUESTION)
            message_append(
                conversation=conversation,
                sender="bot",
                text="Sendungen sind 2-3 Tage unterwegs.",
                intent_slug="order_status",
                confidence=0.87,
            )
            conversation_escalate(conversation=conversation, reason="customer_request")
        with django_capture_on_commit_callbacks(execute=True):
            inbox.assignment_route(conversation_id=conversation.pk)
        conversation = Conversation.objects.get(pk=conversation.pk)
        with django_capture_on_commit_callbacks(execute=True):
            inbox.conversation_claim(conversation=conversation, agent=agent)
            inbox.conversation_view_record(conversation=conversation, acting_user=agent)
            inbox.conversation_reply(conversation=conversation, agent=agent, text="Ich sehe nach.")
            inbox.teaching_create(
                conversation=conversation, agent=agent, intent_slug="order_status"
            )
            inbox.subject_email_reveal(
                conversation=conversation,
                acting_user=agent,
                reason_code=AuditEvent.Reason.CUSTOMER_REQUEST,
                note="Rückruf vereinbart",
            )
            inbox.conversation_resolve_by_agent(conversation=conversation, agent=agent)
        conversation_rate(conversation=Conversation.objects.get(pk=conversation.pk), score=4)
        return subject

    return make


def test_the_export_holds_every_category_and_the_recipients(handled, agent):
    subject = handled()

    data = subject_export(subject=subject, acting_user=agent)["data"]

    [conversation] = data["bot.conversations"]["conversations"]
    assert conversation["escalation_reason"] == "customer_request"
    assert conversation["escalated_at"] and conversation["resolved_at"]
    assert conversation["rating"] == 4
    bot_answer = next(m for m in conversation["messages"] if m["from"] == "bot")
    assert bot_answer["intent"] == "order_status" and bot_answer["confidence"] == 0.87
    agents_part = data["agents.internal_notes"]
    [handling] = agents_part["handling"]
    assert handling["agent"] == "Jana" and handling["queue"] and handling["assigned_at"]
    [teaching] = agents_part["teachings"]
    assert teaching["intent"] == "order_status" and teaching["taught_by"] == "Jana"
    assert "Mustermann" not in teaching["question"]
    trail = data["privacy.data_subject"]["audit_trail"]
    actions = {(event["action"], event["by"]) for event in trail}
    assert {
        ("conversation.claimed", "Jana"),
        ("conversation.viewed", "Jana"),
        ("conversation.replied", "Jana"),
        ("subject.email_revealed", "Jana"),
        ("teaching.created", "Jana"),
        ("conversation.resolved", "Jana"),
    } <= actions
    revealed = next(e for e in trail if e["action"] == "subject.email_revealed")
    assert revealed["reason"] == "Rückruf vereinbart"
    assert revealed["reason_code"] == "customer_request"
    receivers = data["supportdesk.webhooks"]["webhook_deliveries"]
    assert {(r["receiver_host"], r["event"]) for r in receivers} >= {
        ("crm.example.com", "message.created"),
        ("crm.example.com", "conversation.resolved"),
    }
    assert all(r["status"] == "delivered" for r in receivers)
    [platform] = data["bot.channels"]["messenger_platforms"]
    assert platform["platform"] == "telegram" and platform["since"]


def _report(archive: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(archive)).read("report.html").decode()


def _local(moment, language: str) -> str:
    from django.utils import translation
    from django.utils.formats import date_format

    with translation.override(language):
        return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def test_a_german_subject_reads_the_report_in_german_and_local_time(handled):
    subject = handled(language="de")
    resolved_at = Conversation.objects.get().resolved_at

    report = _report(data_export_archive(subject=subject))

    for heading in (
        "Ihre Gespräche",
        "Empfänger: Systeme, die unsere Webhooks benachrichtigt haben",
        "Empfänger: Messenger-Plattformen",
        "Wer Ihre Gespräche bearbeitet hat",
        "Wer mit Ihren Daten gearbeitet hat (Audit-Protokoll)",
        "Was dem Bot aus Ihren Fragen beigebracht wurde",
    ):
        assert heading in report
    order = [
        report.index(heading)
        for heading in (
            "Sie, Ihre Einwilligungen und Anfragen",
            "Ihre Gespräche",
            "Wer Ihre Gespräche bearbeitet hat",
            "Empfänger: Messenger-Plattformen",
            "Empfänger: Systeme",
        )
    ]
    assert order == sorted(order)  # the person first, the recipients last
    assert "Kunde möchte eine Person sprechen" in report
    assert "Hat Ihre E-Mail-Adresse angesehen" in report and "Rückruf vereinbart" in report
    assert "Auf Wunsch der Kundin / des Kunden" in report  # the reason code, in words
    assert "87 %" in report and "Jana" in report and "crm.example.com" in report
    assert _local(resolved_at, "de") in report  # Europe/Berlin, not UTC
    assert "Europe/Berlin" in report
    # Nothing written for developers: no provider names, keys or ISO stamps.
    for raw in ("bot.conversations", "escalation_reason", "resolved_at", "customer_request"):
        assert raw not in report
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", report)


def test_an_english_subject_reads_the_report_in_english(handled):
    subject = handled(language="en")
    resolved_at = Conversation.objects.get().resolved_at

    report = _report(data_export_archive(subject=subject))

    assert "Your conversations" in report and "Recipients: messenger platforms" in report
    assert "Looked at your email address" in report
    assert _local(resolved_at, "en") in report
    assert "Ihre Gespräche" not in report


def test_the_request_language_wins_over_the_conversation_language(handled):
    subject = handled(language="de")

    report = _report(data_export_archive(subject=subject, language="en"))

    assert "Your conversations" in report


def test_data_json_stays_machine_readable(handled):
    subject = handled()

    archive = zipfile.ZipFile(io.BytesIO(data_export_archive(subject=subject)))
    data = json.loads(archive.read("data.json"))

    conversation = data["data"]["bot.conversations"]["conversations"][0]
    assert conversation["escalation_reason"] == "customer_request"
    assert conversation["resolved_at"].endswith("+00:00")


def test_one_export_writes_one_audit_entry(subject, agent, tmp_path):
    subject_export(subject=subject, acting_user=agent)
    assert AuditEvent.objects.filter(action="subject.exported").count() == 1

    call_command(
        "subject_export", email=subject.email, out=tmp_path / "export.zip", stdout=io.StringIO()
    )

    assert AuditEvent.objects.filter(action="subject.exported").count() == 2


def test_an_access_request_writes_one_audit_entry_for_its_export(
    subject, django_capture_on_commit_callbacks, celery_eager
):
    from privacy.services import data_request_create

    with django_capture_on_commit_callbacks(execute=True):
        data_request_create(kind="access", email=subject.email, created_by=UserFactory())

    exported = AuditEvent.objects.filter(action__in=["subject.exported", "export.built"])
    assert [(event.action, event.subject_public_id) for event in exported] == [
        ("export.built", subject.public_id)
    ]
