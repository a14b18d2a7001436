"""Staff sign-ins: one row per live session of a staff account, beside Django's session.

Django's session store knows no user and no browser; this row lets an admin see who is
signed in where and end a session, and lets a password change, a second-factor reset,
a deactivation or a removed role end all of a user's sessions (and their websockets).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, DeviceManager, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp import models as otp_totp_models
from django_otp.plugins.otp_totp.models import default_key, key_validator

from privacy.fields import EncryptedCharField
from privacy.querysets import EncryptedFieldsQuerySet


class StaffSession(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_sessions",
    )
    # The key of Django's session, to end it; never shown.
    session_key = models.CharField(max_length=40, unique=True, editable=False)
    browser = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("signed in at"), default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("staff session")
        verbose_name_plural = _("staff sessions")
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"


class EncryptedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """django-otp's TOTP device with its secret encrypted at rest, like every other secret
    (django-otp's own model stores the key as plain hex). The behaviour is django-otp's:
    its methods are borrowed, so verification, throttling and drift stay as it tests them.
    Key rotation covers the key through privacy.registry, as any encrypted field."""

    # A credential of a staff account, not data about a customer: nothing to export or erase.
    encrypts_secrets_only = True

    key = EncryptedCharField(
        _("key"), max_length=80, validators=[key_validator], default=default_key
    )
    step = models.PositiveSmallIntegerField(_("time step"), default=30)
    t0 = models.BigIntegerField(_("start time (t0)"), default=0)
    digits = models.PositiveSmallIntegerField(_("digits"), choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(_("tolerance"), default=1)
    drift = models.SmallIntegerField(_("drift"), default=0)
    last_t = models.BigIntegerField(_("last time step (t)"), default=-1)

    # django-otp's manager (devices_for_user), with the queryset that refuses look-ups on
    # the encrypted key, as every model with encrypted fields has.
    objects = DeviceManager.from_queryset(EncryptedFieldsQuerySet)()

    class Meta(Device.Meta):
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")

    bin_key = otp_totp_models.TOTPDevice.bin_key
    verify_token = otp_totp_models.TOTPDevice.verify_token
    get_throttle_factor = otp_totp_models.TOTPDevice.get_throttle_factor
    config_url = otp_totp_models.TOTPDevice.config_url
    _read_str_from_settings = otp_totp_models.TOTPDevice._read_str_from_settings
