"""Production: no secret has a default; a missing one stops the process with a clear message.

Passes `manage.py check --deploy --fail-level WARNING` when the required
environment is given (tests/supportdesk/test_settings.py runs it).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

REQUIRED_ENVIRONMENT = [
    "DJANGO_SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "BLIND_INDEX_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    # Customers confirm data requests by email; a file backend would swallow them.
    "EMAIL_URL",
]
_missing = [name for name in REQUIRED_ENVIRONMENT if not env.str(name, default="")]
if _missing:
    raise ImproperlyConfigured(
        "Supportdesk refuses to start: the environment lacks "
        + ", ".join(_missing)
        + ". Production settings have no defaults for secrets; see README, 'Configuration'."
    )

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY")
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
if "*" in (host.strip() for host in ALLOWED_HOSTS):
    # Any Host header, and with it any website's origin for the websockets.
    raise ImproperlyConfigured(
        'Supportdesk refuses to start: DJANGO_ALLOWED_HOSTS contains "*". List the host '
        "names it is served under, comma-separated."
    )
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 3600)
