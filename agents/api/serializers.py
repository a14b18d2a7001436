from rest_framework import serializers

from agents.models import Queue
from agents.services import EMAIL_REVEAL_REASONS, ESCALATION_REASON_MAX_LENGTH
from privacy.models import AuditEvent
from privacy.services.audit import AUDIT_NOTE_MAX_LENGTH


class MeQueueOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    language = serializers.CharField()


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    queues = MeQueueOutputSerializer(many=True)


class InboxConversationOutputSerializer(serializers.Serializer):
    """A conversation as the inbox lists it: no personal data (the preview is redacted)."""

    id = serializers.CharField()
    url = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    reason_label = serializers.CharField()
    language = serializers.CharField()
    channel = serializers.CharField()
    escalated_at = serializers.CharField(allow_null=True)
    queue_id = serializers.IntegerField(allow_null=True)
    queue_name = serializers.CharField()
    agent_id = serializers.IntegerField(allow_null=True)
    agent_name = serializers.CharField()
    preview = serializers.CharField()


class InboxMessageOutputSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    sender = serializers.CharField()
    text = serializers.CharField()
    intent_slug = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)
    sent_at = serializers.DateTimeField(source="created_at")


class InboxNoteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    written_at = serializers.DateTimeField(source="created_at")


class InboxConversationDetailOutputSerializer(InboxConversationOutputSerializer):
    messages = InboxMessageOutputSerializer(many=True)
    notes = InboxNoteOutputSerializer(many=True)


class InboxTextInputSerializer(serializers.Serializer):
    # Length and emptiness are the service's to judge (one message for page and API).
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class InboxTransferInputSerializer(serializers.Serializer):
    queue = serializers.IntegerField()


class InboxAssignInputSerializer(serializers.Serializer):
    agent = serializers.CharField(max_length=150, help_text="the agent's username")


class InboxEscalateInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=ESCALATION_REASON_MAX_LENGTH,
        help_text="why a person should take over; agents see it in the inbox",
    )
    queue = serializers.SlugField(
        max_length=Queue._meta.get_field("slug").max_length,
        required=False,
        help_text="the queue's slug; default: routed by the conversation's language and topic",
    )


class InboxActionOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    seq = serializers.IntegerField(required=False)
    id = serializers.IntegerField(required=False)


class InboxRevealEmailInputSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(
        choices=[(code, AuditEvent.Reason(code).label) for code in EMAIL_REVEAL_REASONS],
        help_text="why the email is needed; written to the audit log",
    )
    note = serializers.CharField(
        max_length=AUDIT_NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="optional (required with 'other'); personal data is removed before it is stored",
    )


class InboxRevealEmailOutputSerializer(serializers.Serializer):
    email = serializers.EmailField()
