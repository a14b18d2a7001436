"""Fixtures of the inbox tests: escalated conversations, staff of every role, pushes."""

import pytest
from django.test import Client

from agents.services import assignment_route
from bot.chat import conversation_escalate
from bot.models import Conversation
from bot.services import message_append
from event_pipeline import outbox
from staff import roles
from tests.factories import (
    AgentFactory,
    ConsentRecordFactory,
    ConversationFactory,
    QueueFactory,
    UserFactory,
)


@pytest.fixture
def pushes(monkeypatch):
    """Every channel-layer push as (group, message), instead of sending it."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(outbox, "group_send", lambda group, message: sent.append((group, message)))
    return sent


def frames_to(pushes: list, group: str) -> list[dict]:
    """The chat frames pushed to a customer's socket, or the payloads to a group."""
    found = []
    for name, message in pushes:
        if name != group:
            continue
        found.append(message.get("frame") or message.get("payload") or message)
    return found


@pytest.fixture
def escalate(db, django_capture_on_commit_callbacks):
    """escalate(texts=…, language=…, subject=…, purposes=…): a waiting conversation, routed,
    under a consent to `purposes` (both by default; None: no consent)."""

    def make(
        *,
        texts=("Wo ist mein Paket?",),
        language="de",
        subject=None,
        reason="customer_request",
        route=True,
        purposes=("bot_improvement", "support_chat"),
    ) -> Conversation:
        consent = (
            ConsentRecordFactory(subject=subject, purposes=list(purposes))
            if purposes is not None
            else None
        )
        conversation = ConversationFactory(language=language, subject=subject, consent=consent)
        for text in texts:
            message_append(conversation=conversation, sender="customer", text=text)
        conversation_escalate(conversation=conversation, reason=reason)
        if route:
            with django_capture_on_commit_callbacks(execute=True):
                assignment_route(conversation_id=conversation.pk)
        return Conversation.objects.select_related("subject", "assignment").get(pk=conversation.pk)

    return make


@pytest.fixture
def other_queue(db):
    """An English queue with its own agent: German escalations do not go there."""
    return QueueFactory(name="English", language="en", members=[AgentFactory()])


@pytest.fixture
def supervisor(db):
    return UserFactory(role=roles.SUPERVISOR)


@pytest.fixture
def privacy_officer(db):
    return UserFactory(role=roles.PRIVACY_OFFICER)


@pytest.fixture
def colleague(queue):
    """A second agent in the same queue."""
    agent = AgentFactory()
    queue.members.add(agent)
    return agent


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the on_commit pushes of what happens inside, as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def client_for(user, language: str = "en") -> Client:
    """A page client signed in as `user`, asking for pages in `language`."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client
