"""Text PostgreSQL refuses (NUL, lone surrogates) is refused as invalid_text, or stripped
where refusing cannot help (messenger webhooks), on every path that stores text.

The websocket paths are in test_websocket_input.py, the messenger webhooks in
tests/bot/channels/test_webhooks.py.
"""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agents.services import InboxError, conversation_claim, conversation_reply, note_add
from bot.models import Conversation, Message
from platform_core.storable_text import text_is_storable, values_made_storable
from staff import roles
from tests.factories import AgentFactory, ConversationFactory, QueueFactory, UserFactory

pytestmark = pytest.mark.django_db

REFUSED_TEXTS = pytest.mark.parametrize(
    "text", ["Hallo\x00Welt", "lone \ud800 surrogate"], ids=["nul", "surrogate"]
)


def test_storable_text_is_what_postgresql_accepts():
    assert text_is_storable("Grüße, 你好, 🙂")
    assert not text_is_storable("a\x00b")
    assert not text_is_storable("a\udc80b")
    assert values_made_storable({"k\x00": ["a\x00b", "c\ud800"]}) == {"k": ["ab", "c\ufffd"]}


# The API ------------------------------------------------------------------------------------


@REFUSED_TEXTS
def test_the_api_refuses_such_text_in_a_body_as_invalid_text(text):
    client = APIClient()
    client.force_authenticate(UserFactory(role=roles.PRIVACY_OFFICER))

    response = client.post(  # as a client sends it: a lone surrogate as a \u escape
        "/api/v1/privacy/processors/",
        json.dumps({"name": text, "address": "Berlin"}),
        content_type="application/json",
    )

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid_text" and "name" in body["fields"]


# The inbox: replies and notes, through the service every page and API call uses -------------


@pytest.fixture
def claimed(db):
    agent = AgentFactory()
    queue = QueueFactory(members=[agent])
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    from agents.models import Assignment

    Assignment.objects.create(conversation=conversation, queue=queue)
    conversation_claim(conversation=conversation, agent=agent)
    return agent, conversation


@REFUSED_TEXTS
def test_an_agents_reply_or_note_with_such_text_is_refused_as_invalid_text(claimed, text):
    agent, conversation = claimed

    with pytest.raises(InboxError) as reply_refusal:
        conversation_reply(conversation=conversation, agent=agent, text=text)
    with pytest.raises(InboxError) as note_refusal:
        note_add(conversation=conversation, author=agent, text=text)

    assert reply_refusal.value.code == note_refusal.value.code == "invalid_text"
    assert not Message.objects.filter(conversation=conversation, sender="agent").exists()


def test_the_reply_form_answers_a_nul_character_with_a_400_not_a_server_error(claimed):
    agent, conversation = claimed
    client = Client()
    client.force_login(agent)

    response = client.post(
        f"/inbox/c/{conversation.public_id}/reply/",
        {"text": "Hallo\x00Welt"},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_text"


def test_a_date_before_standard_time_is_answered_in_rfc_3339():
    """Europe/Berlin before 1893 is +00:53:28, which RFC 3339 (the schema) cannot say."""
    client = APIClient()
    client.force_authenticate(UserFactory(role=roles.PRIVACY_OFFICER))

    response = client.post(
        "/api/v1/privacy/policy-versions/",
        {
            "language": "en",
            "version": "1278",
            "title": "Old",
            "summary": "s",
            "text": "t",
            "effective_at": "1278-07-29T15:40:19.5Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["effective_at"] == "1278-07-29T15:40:19.500000Z"


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
def test_a_knowledge_base_import_with_a_nul_character_is_refused_as_invalid_text(content_type):
    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    if content_type == "text/csv":
        body = "slug,topic,language,field,text\r\nshipping,,de,answer,Vier\x00Euro\r\n"
    else:
        body = json.dumps(
            {
                "version": 1,
                "intents": [{"slug": "shipping", "answers": {"de": "Vier\x00Euro"}}],
            }
        )

    response = client.post("/api/v1/knowledge/intents/import/", body, content_type=content_type)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_text"


@pytest.mark.parametrize(
    "fields",
    [
        {"intent": "ship\x00ping"},
        {"proposed_slug": "new", "proposed_title": "Ti\x00tle", "proposed_answer": "A"},
    ],
    ids=["intent-slug", "proposed-title"],
)
def test_teaching_with_a_nul_character_in_any_field_is_a_400_not_a_server_error(claimed, fields):
    agent, conversation = claimed
    client = Client()
    client.force_login(agent)

    response = client.post(
        f"/inbox/c/{conversation.public_id}/teach/", fields, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_text"
