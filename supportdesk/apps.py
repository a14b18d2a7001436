from django.apps import AppConfig


class SupportdeskConfig(AppConfig):
    """The project itself: start-up checks, the sweeper, the admin's relationship names.
    What the apps share lives in platform_core and event_pipeline."""

    name = "supportdesk"
    verbose_name = "Supportdesk"

    def ready(self) -> None:
        # In ready(): they read other apps' models, loaded only by now.
        from supportdesk import checks  # noqa: F401  (registers the start-up checks)
        from supportdesk.relationship_names import relationship_names_translate

        relationship_names_translate()
