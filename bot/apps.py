from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = _("Bot and conversations")

    def ready(self) -> None:
        from bot import checks  # noqa: F401  (registers the system checks)
        from bot.models import Conversation, Message
        from bot.services import (
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
                models=(Conversation, Message),
                export=subject_conversations_export,
                erase=subject_conversations_erase,
                counts=lambda: {
                    "conversations": Conversation.objects.count(),
                    "messages": Message.objects.count(),
                },
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
