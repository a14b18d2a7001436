"""What each chat step costs the database, pinned (issue 22: a cheap message path).

Through the real consumer: every trip to the database thread (bot.consumers'
database_sync_to_async) is counted, with the SQL statements it runs (an execute
wrapper on its connection: BEGIN counts where the backend sends one, COMMIT does not).
The per-process rechecks (knowledge base, agents' presence, webhook subscriptions, the
redaction allow-list; each at most once every few seconds) are set to never fall due,
so the counts are those of the steady state; the presence recheck, the answerer's and
the allow-list's are pinned on their own.
A change that adds a statement or a trip to a step fails here: lower the bound when a
step gets cheaper, never raise it without a reason in the commit.
"""

import sys
from dataclasses import dataclass, field

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents import selectors as agents_selectors
from bot import chat, consumers, conversation_status
from bot.opening_hours import DAYS
from privacy.redaction import allow_list
from supportdesk.asgi import application

ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]

# Per step: (trips to the database thread, SQL statements). The statements, SQLite:
# hello: INSERT conversation; consent: BEGIN, INSERT consent, INSERT audit event,
# UPDATE conversation; identify: BEGIN, INSERT subject, UPDATE conversation, UPDATE
# consent (the greeting that follows needs none); message: BEGIN, UPDATE conversation
# (its next seqs, RETURNING), INSERT question and answer. PostgreSQL sends no BEGIN.
STEP_BUDGET = {
    "hello": (1, 1),
    "consent": (1, 4),
    "identify": (1, 4),
    "message": (1, 3),
}


@dataclass
class Cost:
    trips: int = 0
    statements: list[str] = field(default_factory=list)


@pytest.fixture
def counted(monkeypatch):
    """Counts the consumer's trips to the database thread and their statements."""
    cost = Cost()

    def record(execute, sql, params, many, context):
        cost.statements.append(sql)
        return execute(sql, params, many, context)

    def counting(func):
        def run(*args, **kwargs):
            cost.trips += 1
            with connection.execute_wrapper(record):
                return func(*args, **kwargs)

        return database_sync_to_async(run)

    monkeypatch.setattr(consumers, "database_sync_to_async", counting)
    return cost


@pytest.fixture
def steady(policies, knowledge_base, settings, monkeypatch):
    """Identity asked, outside the opening hours (the bot asks whether an agent is online),
    and the per-process rechecks made once, then not again."""
    settings.CHAT_IDENTITY_FIELDS = ["name", "email"]
    tomorrow = DAYS[(timezone.localdate().weekday() + 1) % 7]
    settings.SUPPORT_OPENING_HOURS = f"{tomorrow} 08:00-09:00"
    monkeypatch.setattr(chat, "ANSWERER_RECHECK_SECONDS", 3600.0)
    monkeypatch.setattr(agents_selectors, "PRESENCE_RECHECK_SECONDS", 3600.0)
    # Wherever the webhooks module lives (found through the function the status moves call).
    webhooks = sys.modules[conversation_status.webhook_event_actions.__module__]
    monkeypatch.setattr(webhooks, "_SUBSCRIPTIONS_RECHECK_SECONDS", 3600.0)
    # The redaction allow-list's snapshot (read again every 30 s: on a loaded machine that
    # fell due inside the measured session, one SELECT more).
    monkeypatch.setattr(allow_list, "REFRESH_SECONDS", 3600.0)


async def _step(communicator, cost: Cost, frame: dict, answers: int) -> tuple[Cost, list]:
    cost.trips, cost.statements[:] = 0, []
    await communicator.send_json_to(frame)
    frames = [await communicator.receive_json_from(timeout=20) for _ in range(answers)]
    return Cost(cost.trips, list(cost.statements)), frames


async def _session(cost: Cost, number: int) -> dict[str, Cost]:
    """A customer's set-up and two questions; the cost of each step."""
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=ORIGIN)
    assert (await communicator.connect())[0]
    costs = {}
    costs["hello"], [welcome] = await _step(
        communicator, cost, {"type": "hello", "conversation": None, "lang": "de"}, 1
    )
    version = welcome["consent"]["policy_version"]
    costs["consent"], [accepted] = await _step(
        communicator, cost, {"type": "consent", "accept": True, "policy_version": version}, 1
    )
    identity = {"type": "identify", "name": "Erika Mustermann", "email": f"e{number}@example.org"}
    costs["identify"], [identified, greeting] = await _step(communicator, cost, identity, 2)
    assert (accepted["type"], identified["type"], greeting["from"]) == (
        "consent.accepted",
        "identified",
        "bot",
    )
    for n in range(2):
        question = {"type": "message", "id": f"q{n}", "text": "Wie hoch sind die Versandkosten?"}
        costs[f"message {n}"], [ack, answer] = await _step(communicator, cost, question, 2)
        assert (ack["type"], answer["type"], answer["from"]) == ("ack", "message", "bot")
    await communicator.disconnect()
    return costs


@pytest.mark.django_db(transaction=True)
async def test_each_chat_step_takes_one_trip_and_its_few_statements(steady, counted):
    await _session(counted, 0)  # the first: models, caches and rechecks warm up

    costs = await _session(counted, 1)

    for step, cost in costs.items():
        trips, statements = STEP_BUDGET[step.split()[0]]
        assert cost.trips <= trips, (step, cost.trips)
        assert len(cost.statements) <= statements, "\n".join([step, *cost.statements])


@pytest.mark.django_db
def test_agents_presence_is_asked_once_per_recheck(queue, monkeypatch):
    monkeypatch.setattr(agents_selectors, "PRESENCE_RECHECK_SECONDS", 3600.0)

    with CaptureQueriesContext(connection) as first:
        online = agents_selectors.agent_online_for_language("de")
    with CaptureQueriesContext(connection) as again:
        assert agents_selectors.agent_online_for_language("de") is online

    assert (len(first), len(again)) == (1, 0)


@pytest.mark.django_db
def test_a_presence_change_in_this_process_is_seen_at_once(queue, agent, monkeypatch):
    from agents.services import agent_availability_set

    monkeypatch.setattr(agents_selectors, "PRESENCE_RECHECK_SECONDS", 3600.0)
    assert agents_selectors.agent_online_for_language("de") is False

    agent_availability_set(user=agent, availability="online")

    assert agents_selectors.agent_online_for_language("de") is True


@pytest.mark.django_db
def test_the_knowledge_base_recheck_costs_four_statements(knowledge_base, monkeypatch):
    chat.answerer_get()
    monkeypatch.setattr(chat, "ANSWERER_RECHECK_SECONDS", 0.0)

    with CaptureQueriesContext(connection) as recheck:
        chat.answerer_get()

    assert len(recheck) <= 4


@pytest.mark.django_db
def test_the_allow_list_recheck_costs_one_statement(monkeypatch):
    allow_list.allowed_words_reset()
    with CaptureQueriesContext(connection) as first:
        allow_list.allowed_words()
    with CaptureQueriesContext(connection) as again:
        allow_list.allowed_words()

    assert (len(first), len(again)) == (1, 0)
