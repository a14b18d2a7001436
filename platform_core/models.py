"""Models the apps share: API keys, and the heartbeats of periodic jobs.

The tables keep the names they had in the `supportdesk` app (db_table), so the move
(migrations/0001_initial) changed no data.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Areas of the API; each can be granted read or write ("privacy:write" implies read).
API_AREAS = ("conversations", "knowledge", "privacy")
API_SCOPES = tuple(f"{area}:{level}" for area in API_AREAS for level in ("read", "write"))
KEY_PREFIX_LENGTH = 8


def api_key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiKey(models.Model):
    """A machine's key to the API, acting as its user with the scopes granted here.

    Only the SHA-256 of the key is stored: it is shown once, at creation, and
    cannot be recovered. The prefix identifies the key in lists and logs.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=KEY_PREFIX_LENGTH, unique=True, editable=False
    )
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        db_table = "supportdesk_apikey"
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def secret_new() -> tuple[str, str]:
        """(prefix, full key): `sd_<prefix>_<secret>`."""
        prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
        return prefix, f"sd_{prefix}_{secrets.token_urlsafe(32)}"

    def allows(self, scope: str) -> bool:
        area, level = scope.split(":")
        granted = set(self.scopes)
        return scope in granted or (level == "read" and f"{area}:write" in granted)

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class JobHeartbeat(models.Model):
    """When a periodic job (the retention purge, the sweeper) last ran.

    In the database, not the cache, so a restart does not forget it: the health check
    (platform_core.health.job_heartbeat_health) reports a job that stopped running.
    """

    name = models.CharField(max_length=50, primary_key=True)
    # When the job was first expected (first recorded or first checked): the grace period
    # of a fresh installation, whose beat has not reached the first run yet, starts here.
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "supportdesk_jobheartbeat"
        verbose_name = _("job heartbeat")
        verbose_name_plural = _("job heartbeats")

    def __str__(self) -> str:
        return self.name
