"""The conversation's statuses and the moves between them: one table, one verb.

    bot ──escalate──▶ waiting ──claim/assign──▶ assigned
     │                 ▲   ▲ ◀────transfer────── │
     │                 │   └──── wrote again ──┐ │
     └──────resolve────┴──────▶ resolved ◀─────┴─┘
                                  │  └──reopen──▶ assigned
                                  └──close (sweep)──▶ closed

Every status change in the code goes through `conversation_status_move` (or, for the
batched close of old resolved cases, `conversations_status_move`): a conditional UPDATE
that moves only from the statuses the caller expects, with the timestamps each status
needs (the model's CheckConstraints hold them). A move the table does not allow is a bug,
not a race, and raises ConversationStatusError; a move lost to a concurrent one (the row
is no longer in the expected status) returns False and changes nothing.
"""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from bot.models import Conversation

Status = Conversation.Status

# From each status, the statuses it may move to.
STATUS_MOVES: dict[str, frozenset[str]] = {
    # The customer (or staff) hands it to the team; an agent's script may resolve it at once.
    Status.BOT: frozenset({Status.WAITING, Status.RESOLVED}),
    # Claimed or assigned; resolved without anyone claiming it.
    Status.WAITING: frozenset({Status.ASSIGNED, Status.RESOLVED}),
    # Transferred to another queue (waits there); resolved.
    Status.ASSIGNED: frozenset({Status.WAITING, Status.RESOLVED}),
    # The customer wrote again (back to the team); an agent reopened it; the sweep closed it.
    Status.RESOLVED: frozenset({Status.WAITING, Status.ASSIGNED, Status.CLOSED}),
    # Final: retention deletes it later.
    Status.CLOSED: frozenset(),
}


class ConversationStatusError(ValidationError):
    """A move the status table does not allow (a bug in the caller, never the customer's)."""


def status_move_allowed(*, source: str, target: str) -> bool:
    return target in STATUS_MOVES.get(source, frozenset())


def _sources_checked(sources: Iterable[str], target: str) -> list[str]:
    sources = list(sources)
    illegal = [
        source for source in sources if not status_move_allowed(source=source, target=target)
    ]
    if illegal or not sources:
        raise ConversationStatusError(
            f"A conversation cannot move from {', '.join(illegal) or '(nothing)'} to {target}.",
            code="illegal_status_move",
        )
    return sources


def _status_fields(target: str, now) -> dict:
    """What each status needs besides itself (the model's CheckConstraints)."""
    fields: dict = {"status": target, "updated_at": now}
    if target == Status.RESOLVED:
        fields["resolved_at"] = now
    elif target == Status.CLOSED:
        fields["closed_at"] = now
    else:
        # Back with the team (or the bot): the retention clock of a resolved case stops.
        fields["resolved_at"] = None
    if target == Status.WAITING:
        fields["escalated_at"] = now
    return fields


def conversation_status_move(
    *,
    conversation: Conversation,
    to: str,
    expected: Iterable[str] | None = None,
    escalation_reason: str | None = None,
) -> bool:
    """Move the conversation to `to` if its row is in one of the `expected` statuses
    (default: its status as loaded). Returns whether it moved; the instance then carries
    the new status and timestamps. Call it inside the caller's transaction.

    Leaving a resolved case clears resolved_at; entering "waiting" stamps escalated_at
    (and stores `escalation_reason` when given).
    """
    sources = _sources_checked([conversation.status] if expected is None else expected, target=to)
    fields = _status_fields(to, timezone.now())
    if to != Status.WAITING or escalation_reason is None:
        fields.pop("escalated_at", None)
    if escalation_reason is not None:
        fields["escalation_reason"] = escalation_reason
    moved = Conversation.objects.filter(pk=conversation.pk, status__in=sources).update(**fields)
    if moved:
        for name, value in fields.items():
            setattr(conversation, name, value)
    return bool(moved)


def conversations_status_move(
    *, queryset: QuerySet[Conversation], source: str, to: str, now: datetime | None = None
) -> int:
    """The batched form: every conversation of `queryset` still in `source` moves to `to`
    (the sweep closing old resolved cases). Returns how many moved."""
    sources = _sources_checked([source], target=to)
    fields = _status_fields(to, now or timezone.now())
    fields.pop("escalated_at", None)
    return queryset.filter(status__in=sources).update(**fields)
