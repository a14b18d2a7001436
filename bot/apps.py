from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = _("Bot and conversations")

    def ready(self) -> None:
        from bot import checks  # noqa: F401  (registers the system checks)
        from bot.follow_ups import follow_ups_purge
        from bot.models import ChoiceExample, Conversation, ExampleQuestion, FollowUp, Message
        from bot.services import (
            choice_examples_purge,
            conversations_resolved_purge,
            sessions_abandoned_purge,
            subject_conversations_erase,
            subject_conversations_export,
        )
        from privacy.models import RetentionPolicy
        from privacy.registry import (
            PersonalDataProvider,
            RetentionHandler,
            provider_register,
            retention_handler_register,
        )

        provider_register(
            PersonalDataProvider(
                name="bot.conversations",
                models=(Conversation, Message, FollowUp, ExampleQuestion, ChoiceExample),
                export=subject_conversations_export,
                erase=subject_conversations_erase,
                counts=lambda: {
                    "conversations": Conversation.objects.count(),
                    "messages": Message.objects.count(),
                    "follow_ups": FollowUp.objects.count(),
                },
                references=lambda subject: list(
                    Conversation.objects.filter(subject=subject).values_list("public_id", flat=True)
                ),
                title=_("Your conversations"),
                report_position=20,
                labels={
                    "conversations": _("Conversations"),
                    "id": _("Conversation number"),
                    "channel": _("Channel"),
                    "language": _("Language"),
                    "status": _("Status"),
                    "started_at": _("Started at"),
                    "escalation_reason": _("Why it was handed to a person"),
                    "escalated_at": _("Handed to a person at"),
                    "resolved_at": _("Resolved at"),
                    "closed_at": _("Closed at"),
                    "rating": _("Your rating (1-5)"),
                    "messages": _("Messages"),
                    "seq": _("No."),
                    "from": _("From"),
                    "text": _("Text"),
                    "sent_at": _("Sent at"),
                    "intent": _("Topic the bot recognised"),
                    "confidence": _("How sure the bot was"),
                    "helpful": _("You found it helpful"),
                    "follow_ups": _("Call back or answer by e-mail you asked for"),
                    "method": _("How"),
                    "contact": _("Phone number or e-mail address"),
                    "preferred_time": _("Preferred time"),
                    "asked_at": _("Asked at"),
                    "done_at": _("Done at"),
                    "learnt_questions": _("Your questions the bot learns from (redacted)"),
                    "question": _("Question"),
                    "learnt_from": _("How it was learnt"),
                    "saved_at": _("Saved at"),
                },
                value_labels={
                    "channel": dict(Conversation.Channel.choices),
                    "status": dict(Conversation.Status.choices),
                    "from": dict(Message.Sender.choices),
                    "language": dict(settings.LANGUAGES),
                    "method": dict(FollowUp.Method.choices),
                    "preferred_time": dict(FollowUp.PreferredTime.choices),
                    "learnt_from": {
                        "taught": _("An agent taught it from your conversation"),
                        "chosen": _("You picked a suggested topic for it"),
                    },
                    "escalation_reason": {
                        "customer_request": _("Customer asked for a person"),
                        "low_confidence": _("The bot was not sure"),
                        "negative_feedback": _("Customer found an answer unhelpful"),
                        "customer_wrote_again": _("Customer wrote again after resolution"),
                        "email": _("Came in by e-mail"),
                        "follow_up": _("Customer asked for a call back or an e-mail answer"),
                    },
                },
                language=lambda subject: (
                    Conversation.objects.filter(subject=subject)
                    .order_by("-created_at")
                    .values_list("language", flat=True)
                    .first()
                ),
            )
        )
        retention_handler_register(
            RetentionHandler(
                category=RetentionPolicy.Category.CONVERSATIONS_RESOLVED,
                purge=conversations_resolved_purge,
            )
        )
        retention_handler_register(
            RetentionHandler(
                category=RetentionPolicy.Category.SESSIONS_ABANDONED,
                purge=sessions_abandoned_purge,
            )
        )
        retention_handler_register(
            RetentionHandler(category=RetentionPolicy.Category.FOLLOW_UPS, purge=follow_ups_purge)
        )
        retention_handler_register(
            RetentionHandler(
                category=RetentionPolicy.Category.CHOICE_EXAMPLES, purge=choice_examples_purge
            )
        )
        self._messenger_channels_ready()
        from bot.learning import bot_models_health
        from platform_core.health import health_check_register

        # Per language: which model answers, or that the keyword fallback does and why.
        health_check_register("bot.models", bot_models_health)
        # The outbox's dispatcher (in whichever process drains it) calls these.
        from bot import hooks  # noqa: F401  (registers the listeners' outbox handlers)
        from bot.chat import AGENTS_MESSAGE_PUSH, customer_message_to_agents_push
        from event_pipeline.outbox import outbox_handler_register

        outbox_handler_register(AGENTS_MESSAGE_PUSH, customer_message_to_agents_push)
        self._shop_words_ready()

    def _shop_words_ready(self) -> None:
        """The knowledge base's words are known words to redaction (its product and brand
        names are no unknown names), read again whenever the knowledge base changes."""
        from django.db.models.signals import post_delete, post_save

        from bot.models import ExampleQuestion, Intent, IntentAnswer
        from bot.selectors import knowledge_base_texts
        from privacy.redaction.allow_list import shop_words_reset, shop_words_source_register

        shop_words_source_register(knowledge_base_texts)
        for model in (Intent, IntentAnswer, ExampleQuestion):
            for signal in (post_save, post_delete):
                signal.connect(
                    shop_words_reset, sender=model, dispatch_uid=f"shop_words.{model.__name__}"
                )

    def _messenger_channels_ready(self) -> None:
        """Messenger channels (bot/channels/): their admin, their Celery tasks (not found by
        autodiscovery, which imports bot.tasks only) and their personal-data provider."""
        from bot.channels import admin as channels_admin  # noqa: F401  (registers the admin)
        from bot.channels.selectors import channels_active
        from privacy.registry import active_channels_source_register

        # The privacy dashboard, reminders and notice ask which channels are active.
        active_channels_source_register(channels_active)
        from bot.channels import tasks as channels_tasks  # noqa: F401  (registers the tasks)
        from bot.channels.services import (
            subject_channel_identities_erase,
            subject_channel_identities_export,
        )
        from bot.models import ChannelConfig, ChannelConversation, ChannelIdentity
        from privacy.registry import PersonalDataProvider, provider_register

        provider_register(
            PersonalDataProvider(
                name="bot.channels",
                # ChannelConfig holds the channels' credentials, not personal data (it says
                # so with `encrypts_secrets_only`); listed too while privacy's registry does
                # not yet honour that marker everywhere, so its fields are accounted for.
                models=(ChannelIdentity, ChannelConversation, ChannelConfig),
                export=subject_channel_identities_export,
                erase=subject_channel_identities_erase,
                # Before bot.conversations: the identities are found through them.
                order=50,
                title=_("Recipients: messenger platforms"),
                report_position=40,
                labels={
                    "messenger_platforms": _(
                        "Messenger platforms your messages and our answers went through"
                    ),
                    "platform": _("Platform"),
                    "since": _("Since"),
                    "last_sent_at": _("Last message sent to you there"),
                    "identities": _("Your messenger accounts"),
                    "channel": _("Platform"),
                    "platform_user_id": _("Your user id on the platform"),
                    "phone": _("Phone number"),
                    "profile_name": _("Profile name"),
                    "language": _("Language"),
                    "first_contact": _("First contact"),
                    "last_message": _("Your last message"),
                },
                value_labels={
                    "platform": dict(ChannelConfig.Channel.choices),
                    "channel": dict(ChannelConfig.Channel.choices),
                    "language": dict(settings.LANGUAGES),
                },
                counts=lambda: {"messenger_identities": ChannelIdentity.objects.count()},
            )
        )
