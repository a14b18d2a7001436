from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _roles_sync_after_migrate(sender, **kwargs) -> None:
    from staff.roles import roles_sync

    roles_sync()


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Agents and inbox")

    def ready(self) -> None:
        from agents import receivers
        from agents.models import InternalNote, Teaching
        from agents.selectors import (
            agent_display_name,
            agent_online_for_language,
            subject_notes_export,
        )
        from agents.services import (
            escalation_route,
            inbox_row_push,
            status_move_push,
            subject_notes_erase,
            teachings_purge,
        )
        from bot import hooks
        from privacy.models import RetentionPolicy
        from privacy.registry import (
            PersonalDataProvider,
            RetentionHandler,
            provider_register,
            retention_handler_register,
            staff_name_source_register,
        )

        # Permissions exist only after every app's post_migrate created them, so
        # the roles are synced on this app's (the last one installed) signal.
        post_migrate.connect(_roles_sync_after_migrate, sender=self)
        hooks.listener_register(hooks.ESCALATED, escalation_route)
        hooks.listener_register(hooks.CUSTOMER_WROTE, inbox_row_push)
        hooks.listener_register(hooks.STATUS_MOVED, status_move_push)
        hooks.presence_source_register(agent_online_for_language)
        receivers.connect()
        # A customer's access export names staff as the inbox shows them to customers.
        staff_name_source_register(agent_display_name)
        provider_register(
            PersonalDataProvider(
                name="agents.internal_notes",
                # Teaching: no encrypted field, but derived from the person's words and
                # erased with them, so its table is compacted after an erasure too.
                models=(InternalNote, Teaching),
                export=subject_notes_export,
                erase=subject_notes_erase,
                # Before bot's conversations, which the notes belong to.
                order=50,
                report_position=30,
                title=_("Who handled your conversations"),
                labels={
                    "handling": _("Handled by"),
                    "conversation": _("Conversation number"),
                    "queue": _("Team (queue)"),
                    "agent": _("Agent"),
                    "routed_at": _("Handed over at"),
                    "assigned_at": _("Taken on at"),
                    "internal_notes": _("Internal notes"),
                    "text": _("Text"),
                    "written_at": _("Written at"),
                    "teachings": _("What the bot was taught from your questions"),
                    "kind": _("Kind"),
                    "status": _("Status"),
                    "question": _("Question (without personal data)"),
                    "intent": _("Topic"),
                    "taught_by": _("Taught by"),
                    "taught_at": _("Taught at"),
                    "decided_at": _("Decided at"),
                },
                value_labels={
                    "kind": dict(Teaching.Kind.choices),
                    "status": dict(Teaching.Status.choices),
                },
            )
        )
        retention_handler_register(
            RetentionHandler(category=RetentionPolicy.Category.TEACHINGS, purge=teachings_purge)
        )
