"""Staff sign-ins: one row per live session of a staff account, beside Django's session.

Django's session store knows no user and no browser; this row lets an admin see who is
signed in where and end a session, and lets a password change, a second-factor reset,
a deactivation or a removed role end all of a user's sessions (and their websockets).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
