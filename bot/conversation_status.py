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

A move that happened records its one outbox event in the same transaction ("status
moved"; none for a lost move), so no caller can forget to tell anyone. After commit the
dispatcher fans it out:
- an escalation (into "waiting" with a reason): the agents route it (hooks.ESCALATED) and
  the operators' webhooks hear `conversation.escalated`; the customer's own channel
  answered the request already;
- every other move: the customer's socket gets the status frame (with the agent's name
  when one took it), the agents' inboxes and conversation pages the fresh row and state
  (hooks.STATUS_MOVED, agents' listener), and the webhooks `conversation.assigned` or
  `conversation.resolved`.
The batched close records one event for its batch: the agents' rows, nothing else.
"""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from bot import hooks
from bot.models import Conversation
from event_pipeline import events
from event_pipeline.outbox import Action, outbox_event_record
from event_pipeline.webhooks import webhook_event_actions

Status = Conversation.Status

STATUS_MOVED_EVENT = "conversation.status_moved"
# The moves operators' webhooks hear of (WEBHOOK_EVENTS), besides the escalation.
WEBHOOK_STATUSES = frozenset({Status.ASSIGNED, Status.RESOLVED})

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
    agent_name: str = "",
    previous_queue_id: int | None = None,
    previous_agent_id: int | None = None,
) -> bool:
    """Move the conversation to `to` if its row is in one of the `expected` statuses
    (default: its status as loaded). Returns whether it moved; the instance then carries
    the new status and timestamps, and the move's event is recorded (module docstring).
    Call it inside the caller's transaction.

    Leaving a resolved case clears resolved_at; entering "waiting" stamps escalated_at
    (and stores `escalation_reason` when given: an escalation). `agent_name`: who took
    it, for the customer's status frame; `previous_queue_id` / `previous_agent_id`: whose
    inbox it leaves (a transfer), told as well.
    """
    sources = _sources_checked([conversation.status] if expected is None else expected, target=to)
    fields = _status_fields(to, timezone.now())
    if to != Status.WAITING or escalation_reason is None:
        fields.pop("escalated_at", None)
    if escalation_reason is not None:
        fields["escalation_reason"] = escalation_reason
    moved = Conversation.objects.filter(pk=conversation.pk, status__in=sources).update(**fields)
    if not moved:
        return False
    for name, value in fields.items():
        setattr(conversation, name, value)
    if to == Status.WAITING and escalation_reason is not None:
        actions = _escalation_actions(conversation, reason=escalation_reason)
    else:
        previous = {"previous_queue_id": previous_queue_id, "previous_agent_id": previous_agent_id}
        actions = _status_moved_actions(
            conversation,
            agent_name=agent_name,
            context={name: value for name, value in previous.items() if value is not None},
        )
    outbox_event_record(kind=STATUS_MOVED_EVENT, actions=actions, reference=conversation.public_id)
    return True


def _escalation_actions(conversation: Conversation, *, reason: str) -> list[Action]:
    return [
        hooks.hook_action(hooks.ESCALATED, conversation.pk),
        *webhook_event_actions(
            event="conversation.escalated",
            payload={"conversation": str(conversation.public_id), "reason": reason},
        ),
    ]


def _status_moved_actions(
    conversation: Conversation, *, agent_name: str, context: dict[str, int]
) -> list[Action]:
    status = conversation.status
    actions = events.customer_frames_actions(
        public_hex=conversation.public_id.hex,
        frames=[events.status_frame(status, agent_name=agent_name)],
    )
    actions.append(hooks.hook_action(hooks.STATUS_MOVED, conversation.pk, **context))
    if status in WEBHOOK_STATUSES:
        actions += webhook_event_actions(
            event=f"conversation.{status}",
            payload={"conversation": str(conversation.public_id), "status": status},
        )
    return actions


def conversations_status_move(
    *, queryset: QuerySet[Conversation], source: str, to: str, now: datetime | None = None
) -> int:
    """The batched form: every conversation of `queryset` still in `source` moves to `to`
    (the sweep closing old resolved cases). Returns how many moved. Call it inside the
    caller's transaction (the rows are locked until it ends)."""
    sources = _sources_checked([source], target=to)
    fields = _status_fields(to, now or timezone.now())
    fields.pop("escalated_at", None)
    # Locked first, so the ids read are exactly the rows the UPDATE moves.
    ids = list(
        queryset.filter(status__in=sources)
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    moved = Conversation.objects.filter(pk__in=ids, status__in=sources).update(**fields)
    outbox_event_record(
        kind=STATUS_MOVED_EVENT,
        actions=[hooks.hook_action(hooks.STATUS_MOVED, pk) for pk in ids] if moved else [],
    )
    return moved
