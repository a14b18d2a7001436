from pathlib import Path

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
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save

        from platform_core.health import health_check_register
        from privacy import checks  # noqa: F401  (registers the system checks)
        from privacy.models import (
            AuditEvent,
            DataRequest,
            DataSubject,
            PolicyVersion,
            RedactionAllowedWord,
        )
        from privacy.redaction.allow_list import allowed_words_reset
        from privacy.redaction.recogniser import redaction_model_health
        from privacy.registry import (
            EncryptedFileStore,
            PersonalDataProvider,
            RetentionHandler,
            encrypted_file_store_register,
            provider_register,
            retention_handler_register,
        )
        from privacy.services import data_subject_erase, data_subject_export
        from privacy.services.consent import policy_cache_clear
        from privacy.services.erasure import erasure_ledger_health
        from privacy.services.requests import EXPORTS_FOLDER
        from privacy.services.retention import PRIVACY_HANDLERS
        from privacy.services.subjects import AUDIT_ACTION_LABELS

        health_check_register("privacy.erasure_ledger", erasure_ledger_health)
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
                report_position=10,
                title=_("You, your consents and requests, and who worked with your data"),
                labels={
                    "public_id": _("Your customer number"),
                    "name": _("Name"),
                    "email": _("Email address"),
                    "phone": _("Phone number"),
                    "created_at": _("First contact"),
                    "learning_objected_at": _("Objected to bot learning on"),
                    "email_verified_at": _("Email address confirmed on"),
                    "consents": _("Consents"),
                    "policy": _("Privacy policy (version)"),
                    "purposes": _("Purposes"),
                    "channel": _("Channel"),
                    "granted_at": _("Given at"),
                    "withdrawn_at": _("Withdrawn at"),
                    "requests": _("Your data protection requests"),
                    "kind": _("Request"),
                    "status": _("Status"),
                    "received_at": _("Received at"),
                    "completed_at": _("Completed at"),
                    "audit_trail": _("Who worked with your data (audit log)"),
                    "action": _("What"),
                    "by": _("Who"),
                    "reason_code": _("Why"),
                    "reason": _("Reason"),
                    "at": _("When"),
                },
                value_labels={
                    "kind": dict(DataRequest.Kind.choices),
                    "status": dict(DataRequest.Status.choices),
                    "action": AUDIT_ACTION_LABELS,
                    "reason_code": dict(AuditEvent.Reason.choices),
                    "channel": {"web": _("Website chat")},
                },
            )
        )
        # The export archives are written without a FileField: registered by hand, so
        # key rotation and encryption_status cover them (privacy.registry).
        encrypted_file_store_register(
            EncryptedFileStore(
                name="privacy.DataExport (archives)",
                root=lambda: Path(settings.MEDIA_ROOT) / EXPORTS_FOLDER,
            )
        )
        health_check_register("privacy.encryption_keys", checks.encryption_keys_health)
