"""The inbox over the REST API: the same permission matrix as the pages."""

import uuid

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from agents.models import Assignment
from bot.models import Conversation, Message
from bot.services import message_append
from platform_core.api_auth import api_key_create
from privacy.models import AuditEvent
from staff import roles
from tests.factories import ConversationFactory, DataSubjectFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue")]


@pytest.fixture
def people(queue, other_queue, supervisor, privacy_officer):
    return {
        "agent_in_queue": queue.members.get(),
        "agent_of_other_queue": other_queue.members.get(),
        "supervisor": supervisor,
        "admin": UserFactory(role=roles.ADMIN),
        "privacy_officer": privacy_officer,
    }


@pytest.fixture
def with_bot(db):
    """with_bot(language=…): a conversation the bot still handles, one customer message in."""

    def make(*, language="de") -> Conversation:
        conversation = ConversationFactory(language=language)
        message_append(
            conversation=conversation, sender="customer", text="Mein Paket kam beschädigt an."
        )
        return conversation

    return make


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


ROLES = ["agent_in_queue", "supervisor", "admin", "agent_of_other_queue", "privacy_officer"]
# An escalated conversation: the agents of its queue, supervisors and admins.
WORKERS = {"agent_in_queue", "supervisor", "admin"}
# (method, action, body, the conversation, the roles allowed)
ACTIONS = [
    ("get", "", None, "escalated", WORKERS),
    ("post", "claim/", None, "escalated", WORKERS),
    ("post", "reply/", {"text": "Hallo"}, "escalated", WORKERS),
    ("post", "note/", {"text": "intern"}, "escalated", WORKERS),
    ("post", "resolve/", None, "escalated", WORKERS),
    # With the bot, a conversation is in no queue yet: only those who see every queue.
    ("post", "escalate/", {"reason": "VIP customer"}, "with_bot", {"supervisor", "admin"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "action", "data", "state", "allowed"),
    ACTIONS,
    ids=[f"{method} {action or 'detail'}" for method, action, *_rest in ACTIONS],
)
def test_the_permission_matrix_of_the_api(
    people, escalate, with_bot, role, method, action, data, state, allowed
):
    conversation = escalate() if state == "escalated" else with_bot()
    url = f"/api/v1/inbox/conversations/{conversation.public_id}/{action}"

    response = getattr(api(people[role]), method)(url, data, format="json")

    assert response.status_code == (200 if role in allowed else 403)


def test_anonymous_gets_401(escalate):
    conversation = escalate()

    response = api(None).get(f"/api/v1/inbox/conversations/{conversation.public_id}/")

    assert response.status_code == 401


def test_the_list_holds_only_the_agents_queues(escalate, people):
    mine = escalate()
    escalate(language="en")

    body = api(people["agent_in_queue"]).get("/api/v1/inbox/conversations/").json()

    assert [row["id"] for row in body["results"]] == [mine.public_id.hex]
    assert body["count"] == 1


def test_retrieving_a_conversation_returns_the_transcript_and_is_audited(escalate, people):
    conversation = escalate(texts=["Wo ist mein Paket?"])
    agent = people["agent_in_queue"]

    body = api(agent).get(f"/api/v1/inbox/conversations/{conversation.public_id}/").json()

    assert [m["text"] for m in body["messages"]] == ["Wo ist mein Paket?"]
    event = AuditEvent.objects.get(action="conversation.viewed")
    assert event.acting_user == agent and event.details == {"via": "api"}


def test_a_reply_over_the_api_returns_its_seq(escalate, people):
    conversation = escalate()

    body = (
        api(people["agent_in_queue"])
        .post(
            f"/api/v1/inbox/conversations/{conversation.public_id}/reply/",
            {"text": "Hallo"},
            format="json",
        )
        .json()
    )

    assert body["status"] == "assigned"
    assert Message.objects.get(conversation=conversation, seq=body["seq"]).text == "Hallo"


@pytest.mark.parametrize(
    ("action", "data", "status", "code"),
    [
        ("reply/", {"text": ""}, 400, "empty_text"),
        ("reply/", {"text": "x" * 4001}, 400, "text_too_long"),
        ("transfer/", {"queue": 999999}, 400, "unknown_queue"),
    ],
)
def test_bad_input_over_the_api_is_refused_clearly(escalate, people, action, data, status, code):
    conversation = escalate()

    response = api(people["agent_in_queue"]).post(
        f"/api/v1/inbox/conversations/{conversation.public_id}/{action}", data, format="json"
    )

    body = response.json()
    assert response.status_code == status and (body["code"], body["fields"]) == (code, {})


def test_an_unknown_conversation_is_404(people):
    response = api(people["supervisor"]).get(f"/api/v1/inbox/conversations/{uuid.uuid4()}/")

    assert response.status_code == 404


class TestConversationFilters:
    def test_filters_narrow_the_list(self, escalate, supervisor):
        from rest_framework.test import APIClient

        german = escalate(language="de")
        escalate(language="en")
        client = APIClient()
        client.force_authenticate(supervisor)

        rows = client.get("/api/v1/inbox/conversations/", {"language": "de"}).json()["results"]
        everything = client.get(
            "/api/v1/inbox/conversations/", {"status": ["waiting", "assigned", "resolved"]}
        ).json()

        assert [row["id"] for row in rows] == [german.public_id.hex]
        assert everything["count"] == 2

    def test_the_list_comes_in_pages(self, escalate, supervisor):
        from rest_framework.test import APIClient

        first, second = escalate(language="de"), escalate(language="en")
        client = APIClient()
        client.force_authenticate(supervisor)

        page_one = client.get("/api/v1/inbox/conversations/", {"page_size": 1}).json()
        page_two = client.get(page_one["next"]).json()

        assert page_one["count"] == 2 and page_one["previous"] is None
        assert [row["id"] for row in page_one["results"]] == [first.public_id.hex]
        assert [row["id"] for row in page_two["results"]] == [second.public_id.hex]
        assert page_two["next"] is None
        assert client.get("/api/v1/inbox/conversations/", {"page": 9}).status_code == 404

    @pytest.mark.parametrize(
        "query", [{"status": "lost"}, {"since": "yesterday"}, {"until": "2026-13-01"}]
    )
    def test_bad_filters_are_a_400_naming_the_parameter(self, supervisor, query):
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(supervisor)

        response = client.get("/api/v1/inbox/conversations/", query)

        assert response.status_code == 400 and set(query) <= set(response.json()["fields"])


class TestAssign:
    def test_a_supervisor_assigns_to_an_agent_of_the_queue(self, escalate, queue, supervisor):
        from rest_framework.test import APIClient

        agent = queue.members.get()
        conversation = escalate()
        client = APIClient()
        client.force_authenticate(supervisor)

        response = client.post(
            f"/api/v1/inbox/conversations/{conversation.public_id.hex}/assign/",
            {"agent": agent.username},
            format="json",
        )

        assert response.status_code == 200 and response.json()["status"] == "assigned"

    def test_an_unknown_agent_is_a_clear_error(self, escalate, queue, supervisor):
        from rest_framework.test import APIClient

        conversation = escalate()
        client = APIClient()
        client.force_authenticate(supervisor)

        response = client.post(
            f"/api/v1/inbox/conversations/{conversation.public_id.hex}/assign/",
            {"agent": "nobody"},
            format="json",
        )

        assert 400 <= response.status_code < 500 and response.json()["code"] == "unknown_agent"


class TestEscalate:
    def url(self, conversation) -> str:
        return f"/api/v1/inbox/conversations/{conversation.public_id}/escalate/"

    def test_a_supervisor_hands_a_conversation_from_the_bot_to_the_team(
        self, with_bot, queue, supervisor, django_capture_on_commit_callbacks
    ):
        conversation = with_bot()

        with django_capture_on_commit_callbacks(execute=True):
            response = api(supervisor).post(
                self.url(conversation), {"reason": "Damaged parcel"}, format="json"
            )

        body = response.json()
        assert response.status_code == 200
        assert (body["status"], body["reason"]) == ("waiting", "Damaged parcel")
        assert [m["text"] for m in body["messages"]] == ["Mein Paket kam beschädigt an."]
        conversation.refresh_from_db()
        assert conversation.status == Conversation.Status.WAITING
        assert Assignment.objects.get(conversation=conversation).queue == queue  # the listener's
        escalated = AuditEvent.objects.get(action="conversation.escalated")
        assert escalated.acting_user == supervisor and escalated.reason == "Damaged parcel"
        # The answer carries the transcript: a staff read of personal data.
        assert AuditEvent.objects.filter(action="conversation.viewed", acting_user=supervisor)

    def test_a_typed_reason_is_stored_without_personal_data(
        self, with_bot, queue, supervisor, django_capture_on_commit_callbacks
    ):
        conversation = with_bot()

        with django_capture_on_commit_callbacks(execute=True):
            api(supervisor).post(
                self.url(conversation), {"reason": "Rückruf Frau Weber"}, format="json"
            )

        with connection.cursor() as cursor:
            cursor.execute("SELECT escalation_reason FROM bot_conversation")
            stored = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT reason FROM privacy_auditevent")
            stored += [row[0] for row in cursor.fetchall()]
        assert "Weber" not in " ".join(stored) and "Rückruf Frau [NAME]" in stored

    def test_the_queue_named_gets_it(
        self, with_bot, other_queue, supervisor, django_capture_on_commit_callbacks
    ):
        conversation = with_bot(language="de")  # routing alone would pick the German queue

        with django_capture_on_commit_callbacks(execute=True):
            response = api(supervisor).post(
                self.url(conversation),
                {"reason": "Complaint", "queue": other_queue.slug},
                format="json",
            )

        assert response.json()["queue_name"] == other_queue.name
        assert Assignment.objects.get(conversation=conversation).queue == other_queue

    def test_only_the_escalation_webhook_is_emitted(self, with_bot, supervisor, monkeypatch):
        emitted = []

        def record(*, event, payload, personal=None):
            emitted.append(event)
            return []

        monkeypatch.setattr("bot.conversation_status.webhook_event_actions", record)
        monkeypatch.setattr("agents.services.base.webhook_event_emit", record)

        api(supervisor).post(self.url(with_bot()), {"reason": "Complaint"}, format="json")

        assert emitted == ["conversation.escalated"]

    @pytest.mark.parametrize(
        ("status", "code"),
        [
            ("waiting", "already_escalated"),
            ("assigned", "already_escalated"),
            ("resolved", "conversation_resolved"),
            ("closed", "conversation_closed"),
        ],
    )
    def test_a_conversation_the_bot_no_longer_handles_is_a_conflict(
        self, with_bot, supervisor, status, code
    ):
        conversation = with_bot()
        now = timezone.now()
        Conversation.objects.filter(pk=conversation.pk).update(
            status=status, resolved_at=now, closed_at=now
        )

        response = api(supervisor).post(
            self.url(conversation), {"reason": "Complaint"}, format="json"
        )

        body = response.json()
        assert response.status_code == 409
        assert (body["type"], body["code"], body["fields"]) == ("conflict", code, {})

    def test_an_unknown_conversation_is_404(self, supervisor):
        response = api(supervisor).post(
            f"/api/v1/inbox/conversations/{uuid.uuid4()}/escalate/",
            {"reason": "Complaint"},
            format="json",
        )

        assert response.status_code == 404

    @pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "x" * 51}])
    def test_a_missing_or_too_long_reason_is_a_validation_error(self, with_bot, supervisor, data):
        conversation = with_bot()

        response = api(supervisor).post(self.url(conversation), data, format="json")

        body = response.json()
        assert response.status_code == 400
        assert body["type"] == "validation_error" and set(body["fields"]) == {"reason"}
        conversation.refresh_from_db()
        assert conversation.status == Conversation.Status.BOT

    def test_an_unknown_queue_is_refused_and_nothing_changes(self, with_bot, supervisor):
        conversation = with_bot()

        response = api(supervisor).post(
            self.url(conversation), {"reason": "Complaint", "queue": "nowhere"}, format="json"
        )

        assert response.status_code == 400 and response.json()["code"] == "unknown_queue"
        conversation.refresh_from_db()
        assert conversation.status == Conversation.Status.BOT
        assert not AuditEvent.objects.filter(action="conversation.escalated").exists()

    @pytest.mark.parametrize(
        ("scope", "expected"), [("conversations:read", 403), ("conversations:write", 200)]
    )
    def test_an_api_key_needs_the_write_scope(self, with_bot, supervisor, scope, expected):
        _key, secret = api_key_create(user=supervisor, name="crm", scopes=[scope])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

        response = client.post(self.url(with_bot()), {"reason": "Complaint"}, format="json")

        assert response.status_code == expected


def test_the_api_reveals_the_email_with_a_reason_code_and_a_redacted_note(escalate, people):
    subject = DataSubjectFactory(name="Jonas Becker")
    conversation = escalate(subject=subject)
    url = f"/api/v1/inbox/conversations/{conversation.public_id}/reveal-email/"

    refused = api(people["agent_in_queue"]).post(url, {"reason_code": "curious"}, format="json")
    revealed = api(people["agent_in_queue"]).post(
        url, {"reason_code": "order_lookup", "note": "Bestellung von Jonas Becker"}, format="json"
    )

    assert refused.status_code == 400 and "reason_code" in refused.json()["fields"]
    assert revealed.status_code == 200 and revealed.json() == {"email": subject.email}
    event = AuditEvent.objects.get(action="subject.email_revealed")
    assert event.reason_code == "order_lookup"
    assert "Becker" not in event.reason and "[NAME]" in event.reason
