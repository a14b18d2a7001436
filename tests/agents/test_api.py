"""The inbox over the REST API: the same permission matrix as the pages."""

import uuid

import pytest
from rest_framework.test import APIClient

from bot.models import Message
from privacy.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue")]


@pytest.fixture
def people(queue, other_queue, supervisor, privacy_officer):
    return {
        "agent_in_queue": queue.members.get(),
        "agent_of_other_queue": other_queue.members.get(),
        "supervisor": supervisor,
        "privacy_officer": privacy_officer,
    }


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


ACTIONS = [
    ("get", "", None),
    ("post", "claim/", None),
    ("post", "reply/", {"text": "Hallo"}),
    ("post", "note/", {"text": "intern"}),
    ("post", "resolve/", None),
]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("agent_in_queue", True),
        ("supervisor", True),
        ("agent_of_other_queue", False),
        ("privacy_officer", False),
    ],
)
@pytest.mark.parametrize(("method", "action", "data"), ACTIONS)
def test_the_permission_matrix_of_the_api(people, escalate, role, allowed, method, action, data):
    conversation = escalate()
    url = f"/api/v1/inbox/conversations/{conversation.public_id}/{action}"

    response = getattr(api(people[role]), method)(url, data, format="json")

    assert response.status_code == (200 if allowed else 403)


def test_anonymous_gets_401(escalate):
    conversation = escalate()

    response = api(None).get(f"/api/v1/inbox/conversations/{conversation.public_id}/")

    assert response.status_code == 401


def test_the_list_holds_only_the_agents_queues(escalate, people):
    mine = escalate()
    escalate(language="en")

    body = api(people["agent_in_queue"]).get("/api/v1/inbox/conversations/").json()

    assert [row["id"] for row in body] == [mine.public_id.hex]


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

        rows = client.get("/api/v1/inbox/conversations/", {"language": "de"}).json()
        everything = client.get(
            "/api/v1/inbox/conversations/", {"status": ["waiting", "assigned", "resolved"]}
        ).json()

        assert [row["id"] for row in rows] == [german.public_id.hex]
        assert len(everything) == 2

    @pytest.mark.parametrize(
        "query", [{"status": "lost"}, {"since": "yesterday"}, {"limit": "many"}]
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
