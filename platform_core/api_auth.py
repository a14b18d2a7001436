"""API keys, scopes, throttling and the one error format of the REST API."""

import hmac
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import UserRateThrottle

from platform_core.models import API_SCOPES, KEY_PREFIX_LENGTH, ApiKey, api_key_hash

KEYWORD = b"api-key"
ANY_SCOPE = "*"
# last_used_at is written at most this often per key: a busy key must not write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_create(*, user, name: str, scopes: list[str], expires_at=None) -> tuple[ApiKey, str]:
    """A new key and its secret, which is shown to the creator once and never stored."""
    unknown = set(scopes) - set(API_SCOPES)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
    prefix, secret = ApiKey.secret_new()
    key = ApiKey.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=api_key_hash(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    return key, secret


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


class ApiKeyLockedOut(exceptions.Throttled):
    default_detail = _("Too many failed attempts. Try again later.")
    default_code = "locked_out"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key sd_<prefix>_<secret>`.

    Failed keys count towards the same lock-out as failed sign-ins (django-axes): by
    the key's prefix, as an account name, and by address; a locked-out client gets 429
    whether or not the key exists.
    """

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send one API key after 'Api-Key'."))
        secret = header[1].decode("latin-1")
        parts = secret.split("_", 2)
        well_formed = len(parts) == 3 and parts[0] == "sd" and len(parts[1]) == KEY_PREFIX_LENGTH
        # The prefix is public (it names the key in lists); the secret never reaches axes.
        credentials = {"username": f"api-key:{parts[1] if well_formed else '?'}"}
        django_request = request._request
        if not AxesProxyHandler.is_allowed(django_request, credentials):
            raise ApiKeyLockedOut()
        if not well_formed:
            self._failed(django_request, credentials)
            raise exceptions.AuthenticationFailed(_("This is not a Supportdesk API key."))
        key = ApiKey.objects.select_related("user").filter(prefix=parts[1]).first()
        if key is None or not hmac.compare_digest(key.key_hash, api_key_hash(secret)):
            self._failed(django_request, credentials)
            raise exceptions.AuthenticationFailed(_("Unknown API key."))
        if not key.is_usable:
            raise exceptions.AuthenticationFailed(_("This API key is revoked or expired."))
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed(_("The key's user is disabled."))
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key.user, key

    def authenticate_header(self, request):
        return "Api-Key"

    @staticmethod
    def _failed(django_request, credentials: dict) -> None:
        user_login_failed.send(
            sender=ApiKeyAuthentication, credentials=credentials, request=django_request
        )


class HasScope(permissions.BasePermission):
    """A request with an API key needs the view's area scope (read for safe methods).

    Views name their area in `scope_area`; a view without one is closed to keys
    (deny by default), and `scope_area = ANY_SCOPE` opens it to every key (/me/).
    Session and token users are limited by their roles alone (each view checks those).
    """

    message = _("This API key lacks the scope for this endpoint.")

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        area = getattr(view, "scope_area", None)
        if area == ANY_SCOPE:
            return True
        if area is None:
            return False
        level = "read" if request.method in permissions.SAFE_METHODS else "write"
        return key.allows(f"{area}:{level}")


class KeyOrUserRateThrottle(UserRateThrottle):
    """One budget per API key, and one per user for everything else."""

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            return self.cache_format % {"scope": self.scope, "ident": f"key-{request.auth.pk}"}
        return super().get_cache_key(request, view)
