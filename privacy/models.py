import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedCharField, EncryptedEmailField
from privacy.querysets import EncryptedFieldsManager


class DataSubject(models.Model):
    """A customer whose personal data Supportdesk holds. Identity fields are encrypted.

    `email_index` is the blind index of the normalised email: the only way to
    find a subject by email (DSAR, a returning customer).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = EncryptedCharField(_("name"), max_length=200, blank=True)
    email = EncryptedEmailField(_("email"), max_length=254, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    email_index = models.CharField(
        _("email blind index"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EncryptedFieldsManager()

    class Meta:
        verbose_name = _("data subject")
        verbose_name_plural = _("data subjects")
        permissions = [
            ("view_personal_data", _("Can see customers' identity (audited)")),
            ("export_personal_data", _("Can export a data subject's data (DSAR)")),
            ("erase_personal_data", _("Can erase a data subject's data")),
        ]

    def __str__(self) -> str:
        # Never the name or email: __str__ ends up in logs, admin history and errors.
        return f"DataSubject {self.public_id}"


class AuditEvent(models.Model):
    """Append-only record of who did what to personal data, when and why.

    It holds references (type and id), never the personal data itself.
    """

    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acting user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    # A subject's events survive its erasure as its opaque public id.
    subject_public_id = models.UUIDField(_("data subject"), null=True, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(
        _("time"), default=timezone.now, editable=False, db_index=True
    )

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")
