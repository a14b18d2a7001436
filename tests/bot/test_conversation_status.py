"""The status table: every move it allows works, every other one is refused."""

import itertools
import re
from pathlib import Path

import pytest
from django.utils import timezone

from bot import hooks
from bot.conversation_status import (
    STATUS_MOVED_EVENT,
    STATUS_MOVES,
    ConversationStatusError,
    conversation_status_move,
    conversations_status_move,
)
from bot.models import Conversation
from event_pipeline import outbox
from event_pipeline.models import WEBHOOK_EVENTS, OutboxEvent, WebhookDelivery
from event_pipeline.webhooks import webhook_subscription_create
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

Status = Conversation.Status
PAIRS = list(itertools.product(Status.values, repeat=2))
ALLOWED = [(source, target) for source, target in PAIRS if target in STATUS_MOVES[source]]
ILLEGAL = [(source, target) for source, target in PAIRS if target not in STATUS_MOVES[source]]
ROOT = Path(__file__).resolve().parents[2]


def _conversation_in(status: str) -> Conversation:
    now = timezone.now()
    return ConversationFactory(
        status=status,
        resolved_at=now if status in (Status.RESOLVED, Status.CLOSED) else None,
        closed_at=now if status == Status.CLOSED else None,
    )


def test_the_table_names_every_status_and_the_moves_the_code_makes():
    assert set(STATUS_MOVES) == set(Status.values)
    assert ALLOWED == [
        ("bot", "waiting"),
        ("bot", "resolved"),
        ("waiting", "assigned"),
        ("waiting", "resolved"),
        ("assigned", "waiting"),
        ("assigned", "resolved"),
        ("resolved", "waiting"),
        ("resolved", "assigned"),
        ("resolved", "closed"),
    ]


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_an_illegal_move_is_refused_and_changes_nothing(source, target):
    conversation = _conversation_in(source)
    before = Conversation.objects.filter(pk=conversation.pk).values().get()

    with pytest.raises(ConversationStatusError) as refused:
        conversation_status_move(conversation=conversation, to=target)

    assert refused.value.code == "illegal_status_move"
    assert conversation.status == source
    assert Conversation.objects.filter(pk=conversation.pk).values().get() == before


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_an_illegal_batched_move_is_refused(source, target):
    conversation = _conversation_in(source)

    with pytest.raises(ConversationStatusError):
        conversations_status_move(
            queryset=Conversation.objects.filter(pk=conversation.pk), source=source, to=target
        )

    assert Conversation.objects.get(pk=conversation.pk).status == source


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_an_allowed_move_stores_the_status_and_its_timestamps(source, target):
    conversation = _conversation_in(source)

    moved = conversation_status_move(conversation=conversation, to=target)

    stored = Conversation.objects.get(pk=conversation.pk)
    assert moved and stored.status == conversation.status == target
    assert (stored.resolved_at is not None) == (target in (Status.RESOLVED, Status.CLOSED))
    assert (stored.closed_at is not None) == (target == Status.CLOSED)


def test_a_move_lost_to_a_concurrent_one_changes_nothing():
    # given: loaded while waiting, claimed by someone else since
    conversation = _conversation_in(Status.WAITING)
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.ASSIGNED)

    # when: resolved from "waiting" only
    moved = conversation_status_move(
        conversation=conversation, to=Status.RESOLVED, expected=[Status.WAITING]
    )

    # then
    assert not moved
    assert Conversation.objects.get(pk=conversation.pk).status == Status.ASSIGNED


def test_entering_waiting_with_a_reason_stamps_the_escalation():
    conversation = _conversation_in(Status.BOT)

    conversation_status_move(
        conversation=conversation, to=Status.WAITING, escalation_reason="customer_request"
    )

    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.escalation_reason == "customer_request"
    assert stored.escalated_at is not None


# The move's event -----------------------------------------------------------------------------


@pytest.fixture
def subscribed():
    """A webhook subscription to every event: the deliveries belong to the move's event."""
    webhook_subscription_create(
        name="crm", url="https://crm.example.com/hook", events=list(WEBHOOK_EVENTS)
    )


# Every allowed move; those into "waiting" also as an escalation (with a reason).
MOVES = [(source, target, None) for source, target in ALLOWED] + [
    (source, target, "customer_request") for source, target in ALLOWED if target == Status.WAITING
]


@pytest.mark.usefixtures("subscribed")
@pytest.mark.parametrize(("source", "target", "reason"), MOVES)
def test_every_move_records_exactly_one_event_in_its_transaction(source, target, reason):
    conversation = _conversation_in(source)

    conversation_status_move(conversation=conversation, to=target, escalation_reason=reason)

    # One outbox row, the move's; a webhook the move concerns is one of its actions.
    event = OutboxEvent.objects.get()
    assert event.kind == STATUS_MOVED_EVENT and event.reference == conversation.public_id
    deliveries = set(WebhookDelivery.objects.values_list("pk", flat=True))
    queued = {pk for kind, _name, ids in event.actions if kind == outbox.TASK for pk in ids}
    assert queued == deliveries


@pytest.mark.usefixtures("subscribed")
def test_a_move_lost_to_a_race_records_no_event():
    conversation = _conversation_in(Status.WAITING)
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.ASSIGNED)

    moved = conversation_status_move(
        conversation=conversation, to=Status.RESOLVED, expected=[Status.WAITING]
    )

    assert not moved
    assert not OutboxEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_an_illegal_move_records_no_event():
    conversation = _conversation_in(Status.CLOSED)

    with pytest.raises(ConversationStatusError):
        conversation_status_move(conversation=conversation, to=Status.WAITING)

    assert not OutboxEvent.objects.exists()


@pytest.mark.usefixtures("subscribed")
def test_after_commit_a_move_tells_the_customer_the_agents_and_the_webhooks(
    monkeypatch, django_capture_on_commit_callbacks
):
    pushed, heard, queued = [], [], []
    monkeypatch.setattr(
        outbox, "group_send", lambda group, message: pushed.append((group, message))
    )
    monkeypatch.setattr(
        hooks, "listeners", lambda event: [lambda pk, **context: heard.append((event, pk, context))]
    )
    monkeypatch.setattr(outbox, "_action_run", _recording(queued, outbox._action_run))
    conversation = _conversation_in(Status.ASSIGNED)

    with django_capture_on_commit_callbacks(execute=True):
        conversation_status_move(
            conversation=conversation,
            to=Status.WAITING,
            previous_queue_id=7,
            previous_agent_id=8,
        )

    assert pushed == [
        (
            f"customer_{conversation.public_id.hex}",
            {"type": "chat.message", "frame": {"type": "status", "status": "waiting"}},
        )
    ]
    assert heard == [
        (hooks.STATUS_MOVED, conversation.pk, {"previous_queue_id": 7, "previous_agent_id": 8})
    ]
    # A transfer back to the queue is no escalation: no webhook.
    assert [action[0] for action in queued] == [outbox.GROUP, outbox.CALL]
    assert not OutboxEvent.objects.exists()


@pytest.mark.usefixtures("subscribed")
def test_an_escalation_is_routed_and_told_to_the_webhooks_not_pushed_to_the_customer(
    monkeypatch, django_capture_on_commit_callbacks
):
    pushed, heard = [], []
    monkeypatch.setattr(outbox, "group_send", lambda group, message: pushed.append(group))
    monkeypatch.setattr(hooks, "listeners", lambda event: [lambda pk: heard.append(event)])
    conversation = _conversation_in(Status.BOT)

    with django_capture_on_commit_callbacks(execute=True):
        conversation_status_move(
            conversation=conversation, to=Status.WAITING, escalation_reason="customer_request"
        )

    assert pushed == [] and heard == [hooks.ESCALATED]
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "conversation.escalated"
    assert delivery.payload == {
        "conversation": str(conversation.public_id),
        "reason": "customer_request",
    }


def test_the_batched_move_records_one_event_for_its_batch():
    resolved = [_conversation_in(Status.RESOLVED) for _ in range(3)]
    _conversation_in(Status.WAITING)

    closed = conversations_status_move(
        queryset=Conversation.objects.all(), source=Status.RESOLVED, to=Status.CLOSED
    )

    assert closed == 3
    event = OutboxEvent.objects.get()
    assert event.kind == STATUS_MOVED_EVENT
    assert sorted(
        argument["conversation_id"] for _kind, _name, argument in event.actions
    ) == sorted(conversation.pk for conversation in resolved)


def test_a_batch_that_moved_nothing_records_no_event():
    _conversation_in(Status.WAITING)

    closed = conversations_status_move(
        queryset=Conversation.objects.all(), source=Status.RESOLVED, to=Status.CLOSED
    )

    assert closed == 0 and not OutboxEvent.objects.exists()


def _recording(into: list, action_run):
    def run(action):
        into.append(action)
        return action_run(action)

    return run


def test_no_code_sets_the_status_but_the_verb():
    """Every status change goes through bot.conversation_status (the apps' code, read)."""
    writes = re.compile(
        r"\.update\([^)]*\bstatus=Conversation\.Status\.|\.status = Conversation\.Status\."
    )
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for app in ("bot", "agents", "privacy", "platform_core", "event_pipeline", "supportdesk")
        for path in ROOT.joinpath(app).rglob("*.py")
        if "migrations" not in path.parts and path.name != "conversation_status.py"
        for match in writes.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
