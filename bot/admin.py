from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bot.learning import (
    bot_model_activate,
    bot_model_reactivate_last_good,
    bot_model_retrain_request,
)
from bot.models import BotModel, Conversation, ExampleQuestion, Intent, IntentAnswer, Message
from bot.selectors import bot_model_card


class IntentAnswerInline(admin.StackedInline):
    model = IntentAnswer
    extra = 0


class ExampleQuestionInline(admin.TabularInline):
    model = ExampleQuestion
    extra = 1


def _percent(share: float | None) -> str | None:
    """A held-back share as people read it: 0.8008130081300813 -> "80.1 %" ("80,1 %")."""
    if share is None:
        return None
    # number_format cuts off digits, it does not round.
    return f"{number_format(round(share * 100, 1), decimal_pos=1)} %"


@admin.register(Intent)
class IntentAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "topic", "action", "is_active", "updated_at"]
    list_filter = ["topic", "action", "is_active"]
    search_fields = ["slug", "answers__title", "examples__text"]
    inlines = [IntentAnswerInline, ExampleQuestionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("answers")

    @admin.display(description=_("title"))
    def title(self, obj):
        """The answer's title in the reader's language (else any), as customers see it."""
        answers = {answer.language: answer.title for answer in obj.answers.all()}
        return answers.get(get_language()[:2]) or next(iter(answers.values()), obj.slug)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Metadata only; transcripts are read in the audited agent inbox."""

    list_display = ["public_id", "channel", "language", "status", "created_at", "resolved_at"]
    list_filter = ["status", "channel", "language"]
    readonly_fields = ["public_id", "subject", "last_message_number", "created_at", "updated_at"]
    exclude = ["resume_token_hash"]

    @admin.display(description=_("last message number"))
    def last_message_number(self, conversation: Conversation) -> int:
        # The model's field has no label of its own ("last seq").
        return conversation.last_seq


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Shows the redacted text only: the plaintext is personal data."""

    list_display = ["conversation", "seq", "sender", "text_redacted", "created_at"]
    list_filter = ["sender"]
    fields = [
        "conversation",
        "seq",
        "sender",
        "text_redacted",
        "intent_slug",
        "confidence",
        "answer_source",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(BotModel)
class BotModelAdmin(admin.ModelAdmin):
    """Versions with their held-back figures; activate one (roll back) or train anew."""

    list_display = [
        "language",
        "version",
        "status",
        "accuracy",
        "answer_precision",
        "automation",
        "examples_count",
        "created_at",
        "activated_at",
        "card_link",
    ]
    list_filter = ["language", "status"]
    readonly_fields = [
        "language",
        "version",
        "status",
        "checksum",
        "training_data_fingerprint",
        "examples_count",
        "metrics",
        "thresholds",
        "error",
        "created_at",
        "activated_at",
    ]
    exclude = ["file_name"]
    actions = ["activate", "reactivate_last_good", "train_again"]

    @admin.display(description=_("fingerprint of the training data"))
    def training_data_fingerprint(self, record: BotModel) -> str:
        # The model's field has no label of its own ("training fingerprint").
        return record.training_fingerprint

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        card = self.admin_site.admin_view(self.card_view)
        return [
            path("<path:object_id>/card/", card, name="bot_botmodel_card"),
            *super().get_urls(),
        ]

    def card_view(self, request, object_id):
        """The model card: its held-back figures, thresholds, data and history."""
        record = self.get_object(request, object_id)
        if record is None:
            raise Http404
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Model card"),
            "card": bot_model_card(record=record),
        }
        return TemplateResponse(request, "admin/bot/botmodel/card.html", context)

    @admin.display(description=_("model card"))
    def card_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:bot_botmodel_card", args=[obj.pk]),
            _("Model card"),
        )

    @admin.display(description=_("accuracy"))
    def accuracy(self, obj):
        return _percent(obj.metrics.get("in_scope_accuracy"))

    @admin.display(description=_("answer precision"))
    def answer_precision(self, obj):
        return _percent(obj.metrics.get("answer_precision"))

    @admin.display(description=_("automation rate"))
    def automation(self, obj):
        return _percent(obj.metrics.get("automation_rate"))

    @admin.action(description=_("Activate the selected model (roll back)"))
    def activate(self, request, queryset):

        for record in queryset[:1]:
            try:
                bot_model_activate(record=record, acting_user=request.user, reason="admin")
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("Activated: %(model)s") % {"model": record})

    @admin.action(description=_("Re-activate the last good version of these languages"))
    def reactivate_last_good(self, request, queryset):

        for language in sorted(set(queryset.values_list("language", flat=True))):
            try:
                record = bot_model_reactivate_last_good(language=language, acting_user=request.user)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("Activated: %(model)s") % {"model": record})

    @admin.action(description=_("Train a new model for these languages now"))
    def train_again(self, request, queryset):

        for language in sorted(set(queryset.values_list("language", flat=True))):
            bot_model_retrain_request(language=language, acting_user=request.user)
        self.message_user(request, _("Training started; the new version appears here."))
