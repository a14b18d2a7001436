from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _roles_sync_after_migrate(sender, **kwargs) -> None:
    from agents.roles import roles_sync

    roles_sync()


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Agents and inbox")

    def ready(self) -> None:
        from agents import receivers
        from agents.models import InternalNote
        from agents.selectors import subject_notes_export
        from agents.services import escalation_route, inbox_row_push, subject_notes_erase
        from bot import hooks
        from privacy.registry import PersonalDataProvider, provider_register

        # Permissions exist only after every app's post_migrate created them, so
        # the roles are synced on this app's (the last one installed) signal.
        post_migrate.connect(_roles_sync_after_migrate, sender=self)
        hooks.listener_register(hooks.ESCALATED, escalation_route)
        hooks.listener_register(hooks.CUSTOMER_WROTE, inbox_row_push)
        receivers.connect()
        provider_register(
            PersonalDataProvider(
                name="agents.internal_notes",
                models=(InternalNote,),
                export=subject_notes_export,
                erase=subject_notes_erase,
                # Before bot's conversations, which the notes belong to.
                order=50,
            )
        )
