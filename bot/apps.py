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
        self._messenger_channels_ready()
        from bot.learning import bot_models_health
        from supportdesk.health import health_check_register

        # Per language: which model answers, or that the keyword fallback does and why.
        health_check_register("bot.models", bot_models_health)

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
                counts=lambda: {"messenger_identities": ChannelIdentity.objects.count()},
            )
        )
