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
        # Permissions exist only after every app's post_migrate created them, so
        # the roles are synced on this app's (the last one installed) signal.
        post_migrate.connect(_roles_sync_after_migrate, sender=self)
