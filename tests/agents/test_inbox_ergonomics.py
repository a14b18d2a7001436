"""Daily use of the inbox: customers' names in the list (a recorded read), titles instead of
slugs, "just now" instead of "0 minutes", and why the bot answered on live messages."""

import re
from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from django.utils import timezone, translation

from agents.templatetags.inbox_format import escalated_ago, waited
from bot.models import BotModel, Message
from bot.services import message_append
from privacy.models import AuditEvent
from tests.agents.conftest import client_for
from tests.agents.test_consumers import agent_socket, receive_until
from tests.factories import DataSubjectFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue")]


class TestNamesInTheList:
    def test_the_list_names_the_customer_with_the_email_masked(self, escalate, agent):
        subject = DataSubjectFactory(name="Erika Mustermann", email="erika@example.org")
        escalate(subject=subject)

        page = client_for(agent).get("/inbox/").content.decode()
        rows = client_for(agent).get("/inbox/", HTTP_ACCEPT="application/json").json()["rows"]

        cell = re.search(r'<td class="customer">(.*?)</td>', page, re.S).group(1)
        assert "Erika Mustermann" in cell and "e•••@e•••.org" in cell
        assert "erika@example.org" not in page
        assert (rows[0]["customer_name"], rows[0]["customer_email"]) == (
            "Erika Mustermann",
            "e•••@e•••.org",
        )

    def test_showing_names_is_a_recorded_read_once_a_day(self, escalate, agent):
        subject = DataSubjectFactory(name="Erika Mustermann")
        escalate(subject=subject)
        escalate()  # not identified: nothing personal shown, nothing recorded

        client = client_for(agent)
        client.get("/inbox/")
        client.get("/inbox/", HTTP_ACCEPT="application/json")

        [event] = AuditEvent.objects.filter(action="subject.listed")
        assert event.acting_user == agent and event.subject_public_id == subject.public_id
        assert event.reason_code == AuditEvent.Reason.SUPPORT

    def test_pushed_rows_carry_no_names(self, escalate, pushes, committed):
        subject = DataSubjectFactory(name="Erika Mustermann")
        with committed():
            escalate(subject=subject)

        assert pushes and "Erika" not in str(pushes)


def test_the_teach_list_shows_titles_in_the_pages_language(escalate, agent, knowledge_base):
    conversation = escalate()

    german = client_for(agent, "de").get(f"/inbox/c/{conversation.public_id}/").content.decode()
    english = client_for(agent, "en").get(f"/inbox/c/{conversation.public_id}/").content.decode()

    assert '<option value="order_change">Bestellung ändern</option>' in german
    assert re.search(r'<option value="order_change">[^<]*[Cc]hange[^<]*</option>', english)


def test_times_under_a_minute_read_just_now():
    now = timezone.now()

    with translation.override("de"):
        assert waited(now - timedelta(seconds=20)) == "gerade eben"
        assert escalated_ago(now - timedelta(seconds=5)) == "gerade eben übergeben"
        assert escalated_ago(now - timedelta(minutes=5)) == "vor 5\xa0Minuten übergeben"
    with translation.override("en"):
        assert escalated_ago(now - timedelta(seconds=5)) == "escalated just now"


@pytest.mark.django_db(transaction=True)
async def test_a_live_bot_message_carries_why_the_bot_answered(escalate_async, agent_user):
    conversation = escalate_async["conversation"]
    socket, connected, _code = await agent_socket(
        agent_user, f"/ws/inbox/conversations/{conversation.public_id.hex}/"
    )
    assert connected
    await receive_until(socket, "conversation.ready")
    message = escalate_async["bot_message"]

    await get_channel_layer().group_send(
        f"conversation_{conversation.public_id.hex}",
        {
            "type": "conversation.message",
            "frame": {"type": "message", "seq": message.seq, "from": "bot", "text": message.text},
        },
    )

    frame = await receive_until(socket, "message", seq=message.seq)
    await socket.disconnect()
    why = frame["explanation"]
    assert why["intent_slug"] == "order_change" and why["band"] == "high"
    assert why["intent_title"] == "Bestellung ändern"
    assert why["closest_examples"] and "Erika" not in str(why)


@pytest.fixture
def agent_user(agent):
    return agent


@pytest.fixture
def escalate_async(escalate, knowledge_base):
    BotModel.objects.create(
        language="de",
        version=1,
        status=BotModel.Status.ACTIVE,
        thresholds={"answer": 0.7, "suggest": 0.4},
    )
    conversation = escalate(texts=("Ich bin Erika. Kann ich die Größe ändern?",))
    message = message_append(
        conversation=conversation,
        sender="bot",
        text="Solange Ihre Bestellung noch nicht versendet wurde …",
        intent_slug="order_change",
        confidence=0.83,
    )[0]
    Message.objects.filter(pk=message.pk).update(answer_source=Message.AnswerSource.MODEL)
    return {"conversation": conversation, "bot_message": message}


class TestCannedResponseForm:
    def test_a_refused_field_is_marked_and_its_message_linked(self, agent):
        response = client_for(agent).post(
            "/inbox/canned/", {"title": "", "text": "x" * 5001, "language": "fr"}
        )

        assert response.status_code == 400
        page = response.content.decode()
        for name in ("title", "text", "language"):
            tag = re.search(rf'<(input|textarea|select)[^>]*id="canned-{name}-input"[^>]*>', page)
            assert 'aria-invalid="true"' in tag.group(0), name
            assert f'aria-describedby="canned-{name}-input_error"' in tag.group(0), name
            assert f'id="canned-{name}-input_error"' in page, name
        assert 'id="canned-queue-input"' not in page  # an agent has no queue choice

    def test_a_valid_response_is_saved(self, agent):
        response = client_for(agent).post(
            "/inbox/canned/", {"title": "Hallo", "text": "Hallo {name}", "language": "de"}
        )

        assert response.status_code == 302
        assert "Hallo" in client_for(agent).get("/inbox/canned/").content.decode()
