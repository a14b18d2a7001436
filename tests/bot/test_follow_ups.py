"""Follow-ups (bot.follow_ups): the customer asks the bot for a call back or an answer by
e-mail; the form the bot links to collects one way back with consent, the inbox shows a
task, and the number or address is encrypted, exported, erased and forgotten in time."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from agents.models import Assignment, Queue
from bot.chat import (
    chat_consent_give,
    chat_consent_withdraw,
    chat_identify,
    chat_message_receive,
)
from bot.dialog import customer_asks_for_human
from bot.follow_ups import follow_up_link, follow_ups_purge
from bot.models import Conversation, FollowUp, Intent, Message
from bot.services import conversation_start
from privacy.models import AuditEvent, ConsentRecord
from privacy.services import subject_erase, subject_export
from tests.bot.channels.conftest import (  # noqa: F401  (the messenger fixtures)
    CHANNELS,
    active_channel,
    driver,
    fake_platforms,
)
from tests.factories import AgentFactory

NUMBER = "+49 30 1234567"


@pytest.fixture
def conversation(policies, knowledge_base, settings) -> Conversation:
    settings.CHAT_IDENTITY_FIELDS = []
    conversation, _token = conversation_start(language="de")
    chat_consent_give(conversation=conversation, policy_version="2026-11")
    return conversation


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def _ask(client, conversation, language="de", **fields):
    data = {"method": "phone", "contact": NUMBER, "preferred_time": "morning", "consent": "on"}
    data.update(fields)
    return client.post(
        _path(follow_up_link(conversation=conversation, language=language)),
        {key: value for key, value in data.items() if value is not None},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "question", "words"),
    [
        ("de", "Kann mich bitte jemand vom Support zurückrufen?", "zurückrufen"),
        ("en", "Can you call me back please?", "call you back"),
    ],
)
def test_the_bot_offers_the_follow_up_form_for_a_call_back_wish(
    language, question, words, conversation, client
):
    # given the question, which got only suggestions before
    assert not customer_asks_for_human(question)

    _message, outcome = chat_message_receive(
        conversation=conversation, client_message_id="q", text=question
    )

    offer = outcome.replies[-1]
    assert offer.sender == Message.Sender.SYSTEM and words in offer.text
    link = re.search(r"https?://\S+", offer.text).group(0)
    page = client.get(_path(link))
    assert page.status_code == 200
    form_words = "Wie sollen wir uns" if language == "de" else "How should we get back"
    assert form_words in page.content.decode()
    # Nothing is stored before the customer sends the form.
    assert not FollowUp.objects.exists()
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.BOT


@pytest.mark.django_db
def test_the_form_records_the_wish_encrypted_with_consent_and_queues_a_task(
    conversation, client, django_capture_on_commit_callbacks
):
    callbacks = Queue.objects.create(name="Call backs", slug="callbacks")
    Queue.objects.create(name="General", slug="general")
    Intent.objects.filter(slug="callback_request").update(action_queue="callbacks")
    chat_message_receive(conversation=conversation, client_message_id="q", text="rückruf bitte")

    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client, conversation)

    assert response.status_code == 200
    assert "Wir rufen Sie zurück" in response.content.decode()
    follow_up = FollowUp.objects.get()
    assert (follow_up.method, follow_up.contact, follow_up.preferred_time) == (
        "phone",
        NUMBER,
        "morning",
    )
    # The consent, for this purpose only, belongs to the conversation's person.
    assert follow_up.consent.purposes == [ConsentRecord.Purpose.FOLLOW_UP]
    conversation.refresh_from_db()
    assert follow_up.consent.subject_id == conversation.subject_id is not None
    # The inbox gets a task: the conversation waits, in the intent's queue.
    assert (conversation.status, conversation.escalation_reason) == ("waiting", "follow_up")
    assert Assignment.objects.get(conversation=conversation).queue == callbacks
    notice = Message.objects.filter(conversation=conversation, sender="system").last()
    assert "Rückruf" in notice.text and NUMBER not in notice.text
    # At rest the number is encrypted, never in plain text.
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact FROM bot_followup")
        (stored,) = cursor.fetchone()
    assert stored.startswith("gAAAA") and "1234567" not in stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error_words"),
    [
        ({"consent": None}, "required"),
        ({"contact": "not a number"}, "valid phone number"),
        ({"method": "email", "contact": NUMBER}, "valid email address"),
        ({"method": "letter"}, "valid choice"),
    ],
)
def test_the_form_stores_nothing_without_consent_or_a_valid_way_back(
    fields, error_words, conversation, client
):
    response = _ask(client, conversation, language="en", **fields)

    assert response.status_code == 400
    assert error_words in response.content.decode()
    assert not FollowUp.objects.exists()
    assert not ConsentRecord.objects.filter(purposes=["follow_up"]).exists()


@pytest.mark.django_db
def test_an_e_mail_follow_up_keeps_only_the_address(conversation, client):
    _ask(client, conversation, method="email", contact="Erika@Example.org", preferred_time="any")

    follow_up = FollowUp.objects.get()
    assert (follow_up.method, follow_up.contact) == ("email", "erika@example.org")


@pytest.mark.django_db
def test_a_forged_or_expired_link_stores_nothing(conversation, client, settings):
    forged = client.post("/chat/follow-up/not-signed/", {"method": "phone"})
    link = _path(follow_up_link(conversation=conversation, language="en"))
    later = timezone.now() + timedelta(hours=49)

    # The clock (a boundary) two days on: the link is past its 48 hours.
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        expired = client.get(link)

    assert (forged.status_code, expired.status_code) == (410, 410)
    assert "This link has expired" in expired.content.decode()
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_the_form_is_rate_limited_per_client(conversation, client, settings):
    settings.FOLLOW_UP_FORM_RATE = 2
    assert _ask(client, conversation, contact="kaputt").status_code == 400
    assert _ask(client, conversation).status_code == 200

    refused = _ask(client, conversation, language="en")

    assert refused.status_code == 429
    assert "Please wait a few minutes" in refused.content.decode()
    assert FollowUp.objects.count() == 1
    # Another client is not held back by this one.
    other = _ask(client.__class__(REMOTE_ADDR="192.0.2.7"), conversation)
    assert other.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_messenger_customer_reads_the_confirmation_on_the_platform(
    channel,
    driver,  # noqa: F811
    active_channel,  # noqa: F811
    policies,
    knowledge_base,
    settings,
    client,
    django_capture_on_commit_callbacks,
):
    settings.CHAT_IDENTITY_FIELDS = []
    active_channel(channel)
    platform = driver(channel)
    for text in ("Hallo", "JA"):
        platform.say(text)
    platform.say("Kann mich bitte jemand vom Support zurückrufen?")
    conversation = Conversation.objects.get(channel=channel)
    offer = Message.objects.filter(conversation=conversation, sender="system").last()
    assert "/chat/follow-up/" in offer.text and offer.text in platform.replies()

    # Sent to the platform after commit, by Celery (eager here, through the driver).
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, conversation)

    notice = Message.objects.filter(conversation=conversation, sender="system").last()
    assert "Sie haben um einen Rückruf gebeten. Gewünschte Zeit: Vormittags" in notice.text
    assert notice.text in platform.replies()
    assert Conversation.objects.get(pk=conversation.pk).status == "waiting"


# The inbox ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_agent_sees_the_task_calls_back_and_the_number_is_forgotten(
    conversation, client, django_capture_on_commit_callbacks
):
    queue = Queue.objects.create(name="General", slug="general")
    agent = AgentFactory()
    queue.members.add(agent)
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, conversation, preferred_time="afternoon")
    client.force_login(agent)

    inbox = client.get("/inbox/").content.decode()
    page = client.get(f"/inbox/c/{conversation.public_id}/").content.decode()
    client.post(f"/inbox/c/{conversation.public_id}/claim/")
    follow_up = FollowUp.objects.get()
    done = client.post(
        f"/inbox/c/{conversation.public_id}/follow-up-done/", {"follow_up": follow_up.pk}
    )

    assert "Nachmittags (12–17 Uhr)" in inbox or "In the afternoon (12-17)" in inbox
    assert NUMBER in page  # opening the transcript is the audited read
    assert AuditEvent.objects.filter(action="conversation.viewed").exists()
    assert done.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.contact, follow_up.done_by) == (None, agent)
    assert AuditEvent.objects.filter(action="follow_up.done", acting_user=agent).exists()
    assert NUMBER not in client.get(f"/inbox/c/{conversation.public_id}/").content.decode()


# Access, erasure, retention -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_access_export_holds_the_follow_up_and_erasure_removes_it(conversation, client):
    _ask(client, conversation)
    conversation.refresh_from_db()
    subject = conversation.subject

    exported = subject_export(subject=subject, acting_user=None)
    counts = subject_erase(subject=subject, acting_user=None)

    (exported_conversation,) = exported["data"]["bot.conversations"]["conversations"]
    assert exported_conversation["follow_ups"][0]["contact"] == NUMBER
    assert exported_conversation["follow_ups"][0]["preferred_time"] == "morning"
    assert counts["bot.conversations"]["follow_ups"] == 1
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_retention_deletes_follow_ups_after_their_period(conversation, client):
    _ask(client, conversation)
    FollowUp.objects.update(created_at=timezone.now() - timedelta(days=31))
    cutoff = timezone.now() - timedelta(days=30)

    due, _more = follow_ups_purge(cutoff=cutoff, batch_size=100, max_batches=None, dry_run=True)
    deleted, more = follow_ups_purge(cutoff=cutoff, batch_size=100, max_batches=None, dry_run=False)

    assert (due, deleted, more) == (1, 1, False)
    assert not FollowUp.objects.exists()
    assert Conversation.objects.filter(pk=conversation.pk).exists()


@pytest.mark.django_db
def test_retention_deletes_the_follow_ups_of_a_closed_conversation_at_once(conversation, client):
    _ask(client, conversation)
    cutoff = timezone.now() - timedelta(days=30)
    assert follow_ups_purge(cutoff=cutoff, batch_size=100, max_batches=None, dry_run=True)[0] == 0
    # Closed: no agent can act on it any more (nor mark it done).
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.CLOSED, closed_at=timezone.now()
    )

    deleted, _more = follow_ups_purge(
        cutoff=cutoff, batch_size=100, max_batches=None, dry_run=False
    )

    assert deleted == 1 and not FollowUp.objects.exists()


@pytest.mark.django_db
def test_identified_customers_follow_up_joins_their_identity(
    policies, knowledge_base, client, settings
):
    settings.CHAT_IDENTITY_FIELDS = ["name"]
    conversation, _token = conversation_start(language="en")
    chat_consent_give(conversation=conversation, policy_version="2026-11")
    chat_identify(conversation=conversation, identity={"name": "Erika Mustermann"})
    subject_id = Conversation.objects.get(pk=conversation.pk).subject_id

    _ask(client, conversation, language="en")

    assert FollowUp.objects.get().conversation.subject_id == subject_id


@pytest.mark.django_db
def test_withdrawing_consent_in_the_chat_forgets_the_number(conversation, client):
    _ask(client, conversation)
    conversation.refresh_from_db()

    chat_consent_withdraw(conversation=conversation)

    follow_up = FollowUp.objects.get()
    assert (follow_up.contact, follow_up.done_at is not None) == (None, True)
    assert follow_up.consent.withdrawn_at is not None
