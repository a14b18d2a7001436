"""A new mail reaches the agents' open conversation page live, as a chat message does:
one outbox event after commit, to the conversation's group (the page's socket then asks
for the bot's suggestions for it)."""

import pytest

from agents.services import conversation_reply, conversation_resolve_by_agent
from bot.models import Conversation
from event_pipeline import events, outbox
from tests.email_channel.mails import mail_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushes(monkeypatch):
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(outbox, "group_send", lambda group, message: sent.append((group, message)))
    return sent


def _frames(pushes, conversation: Conversation) -> list[dict]:
    group = events.conversation_group(conversation.public_id.hex)
    return [
        message["frame"]
        for name, message in pushes
        if name == group and message.get("type") == "conversation.message"
    ]


@pytest.mark.parametrize("status", ["assigned", "resolved"])
def test_the_customers_next_mail_is_pushed_to_the_open_conversation_page(
    deliver, fetch, agent, celery_eager, pushes, django_capture_on_commit_callbacks, status
):
    deliver(mail_bytes(message_id="<first@example.net>"))
    fetch()
    conversation = Conversation.objects.get(channel="email")
    with django_capture_on_commit_callbacks(execute=True):
        conversation_reply(conversation=conversation, agent=agent, text="Sie ist unterwegs.")
    if status == "resolved":
        conversation_resolve_by_agent(conversation=conversation, agent=agent)
    pushes.clear()

    deliver(
        mail_bytes(
            subject="AW: Bestellung", text="Noch nicht da.", in_reply_to="<first@example.net>"
        )
    )
    fetch()

    (frame,) = _frames(pushes, conversation)
    assert frame["from"] == "customer" and frame["text"] == "Noch nicht da."
    assert frame["seq"] == conversation.messages.order_by("-seq").first().seq
