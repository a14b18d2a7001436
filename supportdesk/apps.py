from django.apps import AppConfig


class SupportdeskConfig(AppConfig):
    name = "supportdesk"
    verbose_name = "Supportdesk"

    def ready(self) -> None:
        from supportdesk import (
            api_schema,  # noqa: F401  (registers the OpenAPI extensions)
            checks,  # noqa: F401  (registers the start-up checks)
        )
