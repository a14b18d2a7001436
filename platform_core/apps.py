from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformCoreConfig(AppConfig):
    """What every app builds on: API keys, authentication, errors and paging, the
    websocket consumer base, storable text, the shared cache pool, health and heartbeats.
    The lowest layer: it imports no other app of ours."""

    name = "platform_core"
    verbose_name = _("API access")

    def ready(self) -> None:
        # In ready(): drf-spectacular's extensions read the models, loaded only by now.
        from platform_core import api_schema  # noqa: F401  (registers the OpenAPI extensions)
