"""The inbox pages: the permission matrix (role × action × queue), CSRF, escaping,
errors, and a query count that does not grow with the number of conversations."""

import json
import uuid

import pytest
from django.test import Client

from agents import services
from agents.models import CannedResponse, Teaching
from bot.models import Conversation, Message
from privacy.models import AuditEvent
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue")]

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def people(queue, other_queue, supervisor, privacy_officer):
    """One user per row of the matrix."""
    return {
        "agent_in_queue": queue.members.get(),
        "agent_of_other_queue": other_queue.members.get(),
        "supervisor": supervisor,
        "privacy_officer": privacy_officer,
        "anonymous": None,
    }


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


ALLOWED = {"agent_in_queue", "supervisor"}
ACTIONS = [
    ("get", ""),
    ("post", "claim/"),
    ("post", "reply/"),
    ("post", "note/"),
    ("post", "resolve/"),
    ("post", "transfer/"),
    ("post", "reveal-email/"),
]


@pytest.mark.parametrize("role", ["agent_in_queue", "agent_of_other_queue", "supervisor",
                                  "privacy_officer", "anonymous"])  # fmt: skip
@pytest.mark.parametrize(("method", "action"), ACTIONS)
def test_the_permission_matrix_of_the_conversation_pages(
    people, escalate, subject, queue, role, method, action
):
    conversation = escalate(subject=subject)
    url = f"/inbox/c/{conversation.public_id}/{action}"
    data = {"text": "Hallo", "queue": str(queue.pk), "reason_code": "order_lookup"}

    response = getattr(client_for(people[role]), method)(url, data if method == "post" else None)

    if role == "anonymous":
        assert response.status_code == 302 and "/inbox/login/" in response["Location"]
    elif role in ALLOWED:
        assert response.status_code == (200 if method == "get" or "reveal" in action else 302)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ["agent_of_other_queue", "privacy_officer"])
@pytest.mark.parametrize(("method", "action"), ACTIONS[1:])
def test_refused_script_requests_get_json_403_and_nothing_changes(
    people, escalate, role, method, action
):
    conversation = escalate()

    response = client_for(people[role]).post(
        f"/inbox/c/{conversation.public_id}/{action}", {"text": "x"}, **JSON
    )

    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert Conversation.objects.get(pk=conversation.pk).status == "waiting"
    assert not Message.objects.filter(conversation=conversation, sender="agent").exists()


def test_opening_a_conversation_shows_the_transcript_and_is_audited(escalate, agent, subject):
    conversation = escalate(subject=subject, texts=["Wo bleibt meine Lieferung?"])

    response = client_for(agent).get(f"/inbox/c/{conversation.public_id}/")

    assert "Wo bleibt meine Lieferung?" in response.text
    assert subject.name in response.text
    assert subject.email not in response.text  # masked until revealed
    event = AuditEvent.objects.get(action="conversation.viewed")
    assert event.acting_user == agent and event.subject_public_id == subject.public_id


def test_the_page_shows_the_bots_intent_and_confidence(escalate, agent):
    conversation = escalate()
    from bot.services import message_append

    message_append(
        conversation=conversation,
        sender="bot",
        text="Den Status sehen Sie im Konto.",
        intent_slug="order_status",
        confidence=0.42,
    )

    response = client_for(agent).get(f"/inbox/c/{conversation.public_id}/")

    # The confidence as a percentage in the page's language, as everywhere on the page.
    assert "order_status" in response.text and "42 %" in response.text
    assert "0,42" not in response.text and "0.42" not in response.text


def test_revealing_the_email_without_script_renders_it(escalate, agent, subject):
    conversation = escalate(subject=subject)

    response = client_for(agent).post(
        f"/inbox/c/{conversation.public_id}/reveal-email/",
        {"reason_code": "customer_request", "note": "Rückruf"},
    )

    assert response.status_code == 200 and subject.email in response.text
    event = AuditEvent.objects.get(action="subject.email_revealed")
    assert (event.reason_code, event.reason) == ("customer_request", "Rückruf")


def test_the_reveal_form_offers_the_reason_codes(escalate, agent, subject):
    conversation = escalate(subject=subject)

    page = client_for(agent).get(f"/inbox/c/{conversation.public_id}/").text

    assert 'name="reason_code"' in page and 'name="note"' in page
    for code in ("customer_request", "order_lookup", "legal_obligation", "other"):
        assert f'value="{code}"' in page


def test_revealing_the_email_from_the_script_returns_it(escalate, agent, subject):
    conversation = escalate(subject=subject)

    response = client_for(agent).post(
        f"/inbox/c/{conversation.public_id}/reveal-email/", {"reason_code": "order_lookup"}, **JSON
    )

    assert response.json() == {"ok": True, "email": subject.email}


def test_a_customer_message_is_escaped(escalate, agent):
    hostile = (
        '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>'
    )
    conversation = escalate(texts=[hostile])

    response = client_for(agent).get(f"/inbox/c/{conversation.public_id}/")

    assert "<script>alert(1)" not in response.text
    assert "<img src=x" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_a_bot_answer_is_shown_as_the_customer_saw_it_and_stays_inert(escalate, agent, settings):
    from bot.services import message_append

    settings.SHOP_BASE_URL = "https://shop.example"
    conversation = escalate()
    message_append(
        conversation=conversation,
        sender="bot",
        text=(
            "Siehe [Meine Bestellungen](/account/orders). **Wichtig:**\n\n- eins\n- zwei\n\n"
            '<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">'
        ),
        intent_slug="order_status",
        confidence=0.9,
    )

    page = client_for(agent).get(f"/inbox/c/{conversation.public_id}/").text

    assert (
        '<a href="https://shop.example/account/orders" target="_blank" '
        'rel="noopener noreferrer nofollow">Meine Bestellungen</a>'
    ) in page
    assert "<strong>Wichtig:</strong>" in page and "<li>eins</li>" in page
    assert "**Wichtig:**" not in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page and "<img src=x" not in page


def test_the_suggested_answers_are_shown_rendered_with_a_plain_text_to_insert(
    escalate, agent, settings, knowledge_base
):
    from bot.models import IntentAnswer

    settings.SHOP_BASE_URL = "https://shop.example"
    IntentAnswer.objects.filter(intent__slug="shipping_costs", language="de").update(
        text="**Versand** kostet 4,90 EUR, siehe [Versand](/versand)."
    )
    conversation = escalate(texts=["Wie hoch sind die Versandkosten?"])

    response = client_for(agent).get(f"/inbox/c/{conversation.public_id}/")

    item = response.context["conversation_state"]["suggestions"][0]
    assert item["plain"] == "Versand kostet 4,90 EUR, siehe Versand (https://shop.example/versand)."
    assert item["html"] in response.text and "<strong>Versand</strong>" in item["html"]


def test_every_form_needs_the_csrf_token(escalate, agent):
    conversation = escalate()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(f"/inbox/c/{conversation.public_id}/reply/", {"text": "Hallo"})

    assert response.status_code == 403
    assert not Message.objects.filter(conversation=conversation, sender="agent").exists()


def test_an_unknown_or_erased_conversation_is_404(agent):
    response = client_for(agent).get(f"/inbox/c/{uuid.uuid4()}/")

    assert response.status_code == 404


class TestBadInput:
    def test_an_empty_reply_is_refused_clearly(self, escalate, agent):
        conversation = escalate()

        response = client_for(agent).post(
            f"/inbox/c/{conversation.public_id}/reply/", {"text": "  "}, **JSON
        )

        assert response.status_code == 400 and response.json()["error"] == "empty_text"

    def test_an_oversize_reply_is_refused_clearly(self, escalate, agent):
        conversation = escalate()

        response = client_for(agent).post(
            f"/inbox/c/{conversation.public_id}/reply/", {"text": "x" * 4001}, **JSON
        )

        assert response.status_code == 400 and response.json()["error"] == "text_too_long"

    def test_a_reply_to_a_resolved_conversation_is_a_conflict(self, escalate, agent):
        conversation = escalate()
        services.conversation_resolve_by_agent(conversation=conversation, agent=agent)

        response = client_for(agent).post(
            f"/inbox/c/{conversation.public_id}/reply/", {"text": "Hallo"}, **JSON
        )

        assert response.status_code == 409
        assert response.json()["error"] == "conversation_resolved"

    def test_a_transfer_to_a_nonexistent_queue_shows_an_error(self, escalate, agent):
        conversation = escalate()

        response = client_for(agent).post(
            f"/inbox/c/{conversation.public_id}/transfer/", {"queue": "999999"}, follow=True
        )

        assert "There is no such queue" in response.text or "Diese Warteschlange" in response.text
        assert Conversation.objects.get(pk=conversation.pk).assignment.queue is not None

    def test_the_second_claim_is_told_who_won(self, escalate, agent, colleague):
        conversation = escalate()
        services.conversation_claim(conversation=conversation, agent=colleague)

        response = client_for(agent).post(f"/inbox/c/{conversation.public_id}/claim/", **JSON)

        assert response.status_code == 409
        assert response.json()["error"] == "already_claimed"
        assert colleague.username in response.json()["detail"]


class TestInboxPage:
    def test_the_waiting_list_shows_oldest_first_with_reason(self, escalate, agent):
        first = escalate(texts=["erste Frage"])
        second = escalate(texts=["zweite Frage"], reason="low_confidence")

        response = client_for(agent).get("/inbox/")

        assert response.text.index("erste Frage") < response.text.index("zweite Frage")
        assert response.context["counts"] == {"waiting": 2, "mine": 0, "all": 2}
        assert first.public_id.hex in response.text and second.public_id.hex in response.text

    def test_an_agent_does_not_see_other_queues(self, escalate, agent, other_queue):
        escalate(language="en", texts=["english question"])

        response = client_for(agent).get("/inbox/")

        assert "english question" not in response.text

    def test_the_rows_as_json_for_the_script(self, escalate, agent):
        conversation = escalate()

        body = client_for(agent).get("/inbox/", **JSON).json()

        assert [row["id"] for row in body["rows"]] == [conversation.public_id.hex]

    def test_the_query_count_does_not_grow_with_the_conversations(
        self, escalate, agent, django_assert_max_num_queries
    ):
        client = client_for(agent)
        escalate()
        # A fixed cost per request (session, second-factor devices, the staff session's
        # last-seen mark) beside the page's own queries; what matters is that it stays flat.
        with django_assert_max_num_queries(24) as few:
            client.get("/inbox/")
        for _ in range(15):
            escalate()

        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get("/inbox/")

        assert response.context["counts"]["waiting"] == 16

    def test_the_page_has_no_inline_script_and_no_cdn(self, agent):
        response = client_for(agent).get("/inbox/")

        assert "<script>" not in response.text
        assert "nonce=" in response.text and "http" not in response.text.split("<body")[0]


class TestCannedResponsesPage:
    def test_an_agent_creates_a_personal_response(self, agent):
        client = client_for(agent)

        client.post("/inbox/canned/", {"title": "Hallo", "text": "Hallo {name}", "language": ""})

        assert CannedResponse.objects.get().owner == agent

    def test_a_response_is_offered_with_placeholders_filled(self, escalate, agent, subject):
        CannedResponse.objects.create(title="Hi", text="Hallo {name}, hier {agent}.")
        conversation = escalate(subject=subject)

        response = client_for(agent).get(f"/inbox/c/{conversation.public_id}/")

        expected = f"Hallo {subject.name}, hier {agent.username}."
        # Rendered as text, or inside the page's JSON (where "ö" is written "\u00f6").
        assert expected in response.text or json.dumps(expected)[1:-1] in response.text


class TestTeachingsPage:
    def test_agents_cannot_decide(self, agent):
        assert client_for(agent).get("/inbox/teachings/").status_code == 403

    def test_a_supervisor_approves(self, escalate, agent, supervisor, knowledge_base):
        conversation = escalate(texts=["Paket verschwunden"])
        client_for(agent).post(
            f"/inbox/c/{conversation.public_id}/teach/", {"intent": "order_status"}
        )
        teaching = Teaching.objects.get()
        client = client_for(supervisor)

        assert "Paket verschwunden" in client.get("/inbox/teachings/").text
        client.post(f"/inbox/teachings/{teaching.pk}/approve/")

        assert Teaching.objects.get().status == "approved"


def test_a_disabled_agent_is_refused(escalate, agent):
    conversation = escalate()
    client = client_for(agent)
    agent.is_active = False
    agent.save()

    response = client.get(f"/inbox/c/{conversation.public_id}/")

    assert response.status_code in (302, 403)


def test_availability_is_saved(agent):
    response = client_for(agent).post("/inbox/availability/", {"availability": "away"}, **JSON)

    assert response.json() == {"ok": True, "availability": "away"}


def test_supervisor_role_sees_everything(escalate, supervisor, other_queue):
    escalate(language="en", texts=["english question"])

    response = client_for(supervisor).get("/inbox/?view=all")

    assert "english question" in response.text


def test_a_user_without_role_is_forbidden():
    assert client_for(UserFactory()).get("/inbox/").status_code == 403


class TestAnalyticsPage:
    def test_supervisors_see_the_figures_and_unanswered_topics(self, escalate, supervisor):
        conversation = escalate(texts=("Wie pflege ich Merinowolle?",), reason="low_confidence")

        page = client_for(supervisor).get("/inbox/analytics/")

        assert page.status_code == 200
        assert "Merinowolle" in page.text
        assert conversation.pk

    def test_agents_may_not_see_analytics(self, agent):
        assert client_for(agent).get("/inbox/analytics/").status_code == 403
