"""Start-up checks: refuse to start what cannot work, with a sentence that says why.

Registered as Django system checks (tag "services" for the reachability of the
database and Redis, "deploy" for production-only rules), so `manage.py check
--deploy` reports them; and run when a process starts serving (supportdesk.asgi for
daphne, the worker_init signal for Celery), which the checks framework alone does
not do: `daphne supportdesk.asgi:application` runs no system checks.
"""

from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

SERVICES_TAG = "services"
# A start-up that waits longer than this for a service would only look hung.
CONNECT_TIMEOUT_SECONDS = 3


def _database_reachable(alias: str = "default") -> str | None:
    """None when the database answers, else why not."""
    connection = connections.create_connection(alias)
    if connection.vendor == "postgresql":
        connection.settings_dict = {
            **connection.settings_dict,
            "OPTIONS": {
                **connection.settings_dict.get("OPTIONS", {}),
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            },
        }
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001  (any failure is the answer)
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error) else ''}"
    finally:
        connection.close()
    return None


def _redis_reachable(url: str) -> str | None:

    client = redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=CONNECT_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except Exception as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"
    finally:
        client.close()
    return None


def _without_password(url: str) -> str:

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


@checks.register(SERVICES_TAG, deploy=True)
def check_services_reachable(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    database = connections.settings["default"]
    problem = _database_reachable()
    if problem:
        errors.append(
            checks.Error(
                f"The database ({database['ENGINE'].rsplit('.', 1)[-1]} "
                f"{database.get('HOST') or database.get('NAME')}) cannot be reached "
                f"within {CONNECT_TIMEOUT_SECONDS} s: {problem}",
                hint="Check DATABASE_URL and that the database server runs.",
                id="supportdesk.E001",
            )
        )
    if settings.REDIS_URL:
        problem = _redis_reachable(settings.REDIS_URL)
        if problem:
            errors.append(
                checks.Error(
                    f"Redis ({_without_password(settings.REDIS_URL)}) cannot be reached "
                    f"within {CONNECT_TIMEOUT_SECONDS} s: {problem}",
                    hint="Check REDIS_URL and that Redis runs; without it the chat's "
                    "channel layer and the rate limits fail on every request.",
                    id="supportdesk.E002",
                )
            )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def check_allowed_hosts_not_wildcard(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if any(host.strip() == "*" for host in settings.ALLOWED_HOSTS):
        return [
            checks.Error(
                'DJANGO_ALLOWED_HOSTS contains "*": any Host header would be accepted, and '
                "with it any website's origin for the chat and inbox websockets.",
                hint="List the host names Supportdesk is served under, comma-separated.",
                id="supportdesk.E003",
            )
        ]
    return []


def services_reachable_or_refuse() -> None:
    """At process start: raise ImproperlyConfigured, naming each service that is down."""
    if not settings.STARTUP_SERVICE_CHECKS:
        return
    errors = check_services_reachable()
    if errors:
        raise ImproperlyConfigured(
            "Supportdesk refuses to start: "
            + " ".join(f"{error.msg} ({error.hint})" for error in errors)
        )
