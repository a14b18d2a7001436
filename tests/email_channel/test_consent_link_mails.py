"""Every mail of a conversation with a consent ends with the link to its consent page
(bot.consent_link), in the conversation's language; a conversation started by e-mail has
no consent and its mails no such line."""

import re

import pytest
from django.core import mail as django_mail

from agents.services import assignment_route, conversation_reply
from bot.models import Conversation
from email_channel.follow_up import follow_up_address_leave
from helpcentre.services import ContactRequest, contact_form_submit
from privacy.models import AuditEvent, ConsentRecord
from tests.email_channel.mails import mail_bytes

pytestmark = pytest.mark.django_db

FOOTER = {
    "de": "Ob wir dieses Gespräch (ohne personenbezogene Daten) zur Verbesserung unseres Bots",
    "en": "Whether we may use this conversation to improve our bot (without personal data)",
}
LINK = re.compile(r"https?://\S+/chat/consent/[^/\s]+/\?language=(de|en)")


@pytest.fixture
def answered_form(policies, queue, maildir_mailbox, agent, celery_eager, settings):
    """A contact form in `language`, with "improving the bot" ticked, answered by the agent:
    the mail as sent."""
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]

    def answer(language: str, django_capture_on_commit_callbacks):
        conversation = contact_form_submit(
            ContactRequest(
                language=language,
                subject="Rechnung fehlt",
                message="Ich habe keine Rechnung bekommen.",
                identity={"name": "Frieda Formular", "email": "frieda@example.org"},
                policy_version="2026-11",
                purposes=("bot_improvement",),
            )
        )
        assignment_route(conversation_id=conversation.pk, queue=queue)
        with django_capture_on_commit_callbacks(execute=True):
            conversation_reply(conversation=conversation, agent=agent, text="Sie ist unterwegs.")
        (sent,) = django_mail.outbox
        return conversation, sent

    return answer


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_contact_forms_mail_links_to_its_consent_page_in_its_language(
    answered_form, language, django_capture_on_commit_callbacks
):
    _conversation, sent = answered_form(language, django_capture_on_commit_callbacks)

    other = "en" if language == "de" else "de"
    assert FOOTER[language] in sent.body and FOOTER[other] not in sent.body
    assert LINK.search(sent.body).group(1) == language
    assert "frieda" not in LINK.search(sent.body).group(0).lower()


def test_the_mails_link_withdraws_the_purpose(
    answered_form, client, django_capture_on_commit_callbacks
):
    conversation, sent = answered_form("de", django_capture_on_commit_callbacks)
    link = LINK.search(sent.body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)

    page = client.get(path)
    pressed = client.post(path, {"purpose": "bot_improvement", "granted": "0"})

    assert page.status_code == 200 and "Ihre Einwilligung für dieses Gespräch" in page.text
    assert pressed.status_code == 302
    assert ConsentRecord.objects.get(pk=conversation.consent_id).purposes == ["support_chat"]
    assert AuditEvent.objects.filter(action="consent.purpose_withdrawn").count() == 1


def test_a_follow_up_by_mail_carries_the_link_too(
    waiting_chat, agent, celery_eager, django_capture_on_commit_callbacks
):
    follow_up_address_leave(conversation=waiting_chat, address="waltraud@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=waiting_chat, agent=agent, text="Es kommt morgen.")

    (sent,) = django_mail.outbox
    assert FOOTER["de"] in sent.body and LINK.search(sent.body)


def test_a_conversation_started_by_mail_has_no_consent_and_no_link(
    deliver, fetch, agent, celery_eager, django_capture_on_commit_callbacks
):
    deliver(mail_bytes(message_id="<first@example.net>"))
    fetch()
    conversation = Conversation.objects.get(channel=Conversation.Channel.EMAIL)

    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=conversation, agent=agent, text="Sie ist unterwegs.")

    (sent,) = django_mail.outbox
    assert conversation.consent_id is None
    assert "/chat/consent/" not in sent.body and FOOTER["de"] not in sent.body
