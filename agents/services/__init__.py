"""The agents' verbs, one module per capability: routing escalations (routing), claiming and
transferring (claims), replying (replies), resolving (resolution), audited reads,
availability, canned responses, teaching the bot (teaching); what they share in base.

Each runs in one transaction, writes its audit row in it, and pushes to the
websockets only after commit (event_pipeline/events.py, through the outbox). Refused input raises
InboxError with a stable `code` and nothing changes; an action the user may
not take raises PermissionDenied.
"""

from agents.services.audited_reads import (
    conversation_view_record,
    inbox_customers_view_record,
    subject_email_reveal,
)
from agents.services.availability import (
    agent_availability_set,
)
from agents.services.base import (
    CANNED_TITLE_MAX_LENGTH,
    CONFLICT_CODES,
    EMAIL_REVEAL_REASONS,
    ESCALATION_REASON_MAX_LENGTH,
    NOTE_TEXT_MAX_LENGTH,
    TEACHING_TITLE_MAX_LENGTH,
    InboxError,
    auto_assign_enabled,
    teaching_auto_approve_enabled,
)
from agents.services.canned_responses import (
    canned_response_create,
    canned_response_delete,
)
from agents.services.claims import (
    conversation_assign,
    conversation_claim,
    conversation_transfer,
)
from agents.services.follow_ups import (
    follow_up_mark_done,
)
from agents.services.personal_data import (
    subject_notes_erase,
)
from agents.services.replies import (
    conversation_reply,
    note_add,
    typing_frame_send,
)
from agents.services.resolution import (
    conversation_reopen,
    conversation_resolve_by_agent,
)
from agents.services.routing import (
    assignment_route,
    conversation_escalate_by_staff,
    escalation_route,
    inbox_row_push,
    status_move_push,
)
from agents.services.teaching import (
    teaching_approve,
    teaching_create,
    teaching_reject,
    teachings_purge,
)

__all__ = [
    "follow_up_mark_done",
    "NOTE_TEXT_MAX_LENGTH",
    "ESCALATION_REASON_MAX_LENGTH",
    "CANNED_TITLE_MAX_LENGTH",
    "TEACHING_TITLE_MAX_LENGTH",
    "EMAIL_REVEAL_REASONS",
    "CONFLICT_CODES",
    "InboxError",
    "auto_assign_enabled",
    "teaching_auto_approve_enabled",
    "teachings_purge",
    "assignment_route",
    "escalation_route",
    "inbox_row_push",
    "status_move_push",
    "conversation_escalate_by_staff",
    "conversation_claim",
    "conversation_assign",
    "conversation_transfer",
    "conversation_reply",
    "note_add",
    "typing_frame_send",
    "conversation_resolve_by_agent",
    "conversation_reopen",
    "conversation_view_record",
    "inbox_customers_view_record",
    "subject_email_reveal",
    "agent_availability_set",
    "canned_response_create",
    "canned_response_delete",
    "teaching_create",
    "teaching_approve",
    "teaching_reject",
    "subject_notes_erase",
]
