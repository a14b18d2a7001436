"""The status table: every move it allows works, every other one is refused."""

import itertools
import re
from pathlib import Path

import pytest
from django.utils import timezone

from bot.conversation_status import (
    STATUS_MOVES,
    ConversationStatusError,
    conversation_status_move,
    conversations_status_move,
)
from bot.models import Conversation
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
