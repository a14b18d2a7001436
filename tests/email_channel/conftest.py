import pytest

from agents.services import assignment_route
from bot.chat import chat_consent_give, conversation_escalate
from bot.models import Conversation
from bot.services import conversation_start, message_append
from email_channel.services import mailbox_fetch
from tests.email_channel.mails import maildir_deliver, maildir_mailbox_create


@pytest.fixture
def maildir_mailbox(db, queue, tmp_path):
    """The queue's mailbox as a Maildir folder (the embedded default)."""
    return maildir_mailbox_create(
        queue=queue,
        folder=tmp_path / "Maildir",
        signature_de="Ihr Nordlicht-Team",
        signature_en="Your Nordlicht team",
    )


@pytest.fixture
def deliver(maildir_mailbox):
    """Put raw mails into the mailbox's Maildir, as a mail server would (new/)."""
    return lambda *raws: maildir_deliver(maildir_mailbox, *raws)


@pytest.fixture
def fetch(maildir_mailbox, django_capture_on_commit_callbacks):
    """Fetch the mailbox as the beat task does; after-commit work runs."""

    def run() -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return mailbox_fetch(mailbox_id=maildir_mailbox.pk)

    return run


@pytest.fixture
def waiting_chat(policies, queue, maildir_mailbox, settings) -> Conversation:
    """A web chat handed to the team, nobody there yet (no identity fields asked)."""
    settings.CHAT_IDENTITY_FIELDS = []
    conversation, _token = conversation_start(channel=Conversation.Channel.WEB, language="de")
    chat_consent_give(conversation=conversation, policy_version="2026-11")
    message_append(conversation=conversation, sender="customer", text="Wo ist mein Paket?")
    conversation_escalate(conversation=conversation, reason="customer_request")
    assignment_route(conversation_id=conversation.pk, queue=queue)
    conversation.refresh_from_db()
    return conversation
