from django.contrib import admin

from bot.models import Conversation, ExampleQuestion, Intent, IntentAnswer, Message


class IntentAnswerInline(admin.StackedInline):
    model = IntentAnswer
    extra = 0


class ExampleQuestionInline(admin.TabularInline):
    model = ExampleQuestion
    extra = 1


@admin.register(Intent)
class IntentAdmin(admin.ModelAdmin):
    list_display = ["slug", "topic", "is_active", "updated_at"]
    list_filter = ["topic", "is_active"]
    search_fields = ["slug", "answers__title", "examples__text"]
    inlines = [IntentAnswerInline, ExampleQuestionInline]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Metadata only; transcripts are read in the audited agent inbox."""

    list_display = ["public_id", "channel", "language", "status", "created_at", "resolved_at"]
    list_filter = ["status", "channel", "language"]
    readonly_fields = ["public_id", "subject", "last_seq", "created_at", "updated_at"]
    exclude = ["resume_token_hash"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Shows the redacted text only: the plaintext is personal data."""

    list_display = ["conversation", "seq", "sender", "text_redacted", "created_at"]
    list_filter = ["sender"]
    fields = ["conversation", "seq", "sender", "text_redacted", "intent_slug", "confidence"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False
