from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = _("Bot and conversations")

    def ready(self) -> None:
        from bot import checks  # noqa: F401  (registers the system checks)
        from bot.models import Conversation, Message
        from bot.services import subject_conversations_erase, subject_conversations_export
        from privacy.registry import PersonalDataProvider, provider_register

        provider_register(
            PersonalDataProvider(
                name="bot.conversations",
                models=(Conversation, Message),
                export=subject_conversations_export,
                erase=subject_conversations_erase,
            )
        )
