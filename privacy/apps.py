from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


def _reload_crypter_on_key_change(*, setting: str, **kwargs) -> None:
    if setting == "FIELD_ENCRYPTION_KEY":
        from django.core.exceptions import ImproperlyConfigured

        from privacy.crypto import crypter_reload

        try:
            crypter_reload()
        except ImproperlyConfigured:
            pass  # an invalid key list is reported by the system check (privacy.E001–E003)


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from privacy import checks  # noqa: F401  (registers the system checks)
        from privacy.models import DataRequest, DataSubject, PolicyVersion, RedactionAllowedWord
        from privacy.redaction.allow_list import allowed_words_reset
        from privacy.redaction.recogniser import redaction_model_health
        from privacy.registry import (
            PersonalDataProvider,
            RetentionHandler,
            provider_register,
            retention_handler_register,
        )
        from privacy.services import data_subject_erase, data_subject_export
        from privacy.services.consent import policy_cache_clear
        from privacy.services.retention import PRIVACY_HANDLERS
        from supportdesk.health import health_check_register

        setting_changed.connect(_reload_crypter_on_key_change)
        health_check_register("privacy.redaction_model", redaction_model_health)
        for signal in (post_save, post_delete):
            signal.connect(policy_cache_clear, sender=PolicyVersion, dispatch_uid="policy_cache")
            signal.connect(
                allowed_words_reset,
                sender=RedactionAllowedWord,
                dispatch_uid="redaction_allowed_words",
            )
        for category, purge in PRIVACY_HANDLERS.items():
            retention_handler_register(RetentionHandler(category=category, purge=purge))
        provider_register(
            PersonalDataProvider(
                name="privacy.data_subject",
                models=(DataSubject, DataRequest),
                export=data_subject_export,
                erase=data_subject_erase,
                # Last: every other provider still needs the subject row.
                order=1000,
            )
        )
