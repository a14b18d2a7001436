"""System checks for the key configuration: a wrong key fails loudly at start, not later.

Two kinds: the shape of the key list (every `manage.py` command), and whether the keys
open a sample of what is stored (`check --database default`, `migrate`, the start of
daphne and of a Celery worker, and the "privacy.encryption_keys" health check).
"""

import logging

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from platform_core.health import HealthResult
from privacy.crypto import encryption_keys_invalid
from privacy.services.keys import encryption_keys_sample

logger = logging.getLogger(__name__)


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    keys = getattr(settings, "FIELD_ENCRYPTION_KEY", None)
    if isinstance(keys, str):
        hint = (
            "Set it as a list in settings; in the environment, comma-separate the keys "
            "and read them with env.list()."
            if "," in keys
            else "Wrap the key in a list: [key]."
        )
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEY is a string; it must be a list of keys, newest first.",
                hint=hint,
                id="privacy.E001",
            )
        ]
    if not keys:
        return [checks.Error("FIELD_ENCRYPTION_KEY is empty.", id="privacy.E002")]
    errors = [
        checks.Error(
            f"FIELD_ENCRYPTION_KEY[{position}] is not a valid Fernet key "
            "(32 url-safe base64-encoded bytes).",
            hint="Generate one with scripts/write_dev_env.py or "
            "cryptography.fernet.Fernet.generate_key().",
            id="privacy.E003",
        )
        for position in encryption_keys_invalid(keys)
    ]
    if len(set(keys)) != len(keys):
        errors.append(checks.Error("FIELD_ENCRYPTION_KEY lists a key twice.", id="privacy.E004"))
    return errors


@checks.register(checks.Tags.security)
def check_blind_index_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    key = getattr(settings, "BLIND_INDEX_KEY", "")
    if not key:
        return [checks.Error("BLIND_INDEX_KEY is not set.", id="privacy.E010")]
    if key in (getattr(settings, "FIELD_ENCRYPTION_KEY", None) or []):
        return [
            checks.Error(
                "BLIND_INDEX_KEY must differ from every encryption key.", id="privacy.E011"
            )
        ]
    return []


def _sample_or_none():
    """The key sample, or None where there is nothing to sample yet (no tables before
    `migrate`, an invalid key list that the checks above report)."""

    try:
        # A savepoint: on PostgreSQL a failed query would otherwise break the caller's
        # transaction (a check run inside a test, or a request).
        with transaction.atomic():
            return encryption_keys_sample()
    except DatabaseError:
        return None


def encryption_keys_sample_problems(sample) -> tuple[list[str], list[str]]:
    """(errors, warnings) about the key list, as sentences for an operator (English:
    system checks and logs; the health check says the same translated)."""
    errors, warnings = [], []
    if sample.unreadable_count:
        where = ", ".join(f"{name}: {count}" for name, count in sorted(sample.unreadable.items()))
        newest = (
            " FIELD_ENCRYPTION_KEY[0], the newest key, opens none of the sampled values: "
            "is it mistyped?"
            if sample.per_key[0] == 0
            else ""
        )
        errors.append(
            f"{sample.unreadable_count} of {sample.sampled} sampled encrypted values ({where}) "
            f"open with none of the {sample.keys} keys in FIELD_ENCRYPTION_KEY: the key they "
            f"were encrypted with is missing or mistyped.{newest}"
        )
    for position, count in enumerate(sample.per_key):
        if position and count:
            warnings.append(
                f"{count} sampled encrypted values are still under FIELD_ENCRYPTION_KEY"
                f"[{position}]: run `manage.py rotate_encryption_keys` and check "
                "`manage.py encryption_status` before removing that key."
            )
    return errors, warnings


@checks.register(checks.Tags.database)
def check_encryption_keys_open_stored_values(
    app_configs=None, databases=None, **kwargs
) -> list[checks.CheckMessage]:
    if not databases or encryption_keys_invalid(getattr(settings, "FIELD_ENCRYPTION_KEY", [])):
        return []
    sample = _sample_or_none()
    if sample is None:
        return []
    errors, warnings = encryption_keys_sample_problems(sample)
    hint = (
        "Restore the missing key at the end of FIELD_ENCRYPTION_KEY; "
        "see the key rotation runbook in the README."
    )
    return [checks.Error(message, hint=hint, id="privacy.E020") for message in errors] + [
        checks.Warning(message, id="privacy.W021") for message in warnings
    ]


def encryption_keys_startup_report() -> None:
    """Called when daphne and a Celery worker start: a key list that cannot open what
    is stored is logged there, before the first webhook or delivery fails on it."""
    try:
        sample = _sample_or_none()
    except Exception:  # the report must never keep a process from starting
        logger.exception("Could not check the encryption keys against stored values")
        return
    if sample is None:
        return
    errors, warnings = encryption_keys_sample_problems(sample)
    for message in errors:
        logger.error("Encryption keys: %s", message)
    for message in warnings:
        logger.warning("Encryption keys: %s", message)


def encryption_keys_health():
    """Health check "privacy.encryption_keys": fails while sampled values open with no key."""

    sample = _sample_or_none()
    if sample is None:
        return HealthResult(
            name="privacy.encryption_keys", ok=True, summary=_("Nothing encrypted to check yet.")
        )
    details = {
        "keys": sample.keys,
        "sampled": sample.sampled,
        "per_key": sample.per_key,
        "unreadable": sample.unreadable,
    }
    if sample.unreadable_count:
        summary = _(
            "%(count)d of %(sampled)d sampled encrypted values open with none of the "
            "configured keys: a key is missing or mistyped in FIELD_ENCRYPTION_KEY."
        ) % {"count": sample.unreadable_count, "sampled": sample.sampled}
        if sample.per_key[0] == 0:
            summary += " " + _("The newest key (position 0) opens none of them.")
        return HealthResult(
            name="privacy.encryption_keys", ok=False, summary=summary, details=details
        )
    old = sum(sample.per_key[1:])
    summary = (
        ngettext(
            "The keys open every sampled value; %(count)d is still under an older key.",
            "The keys open every sampled value; %(count)d are still under an older key.",
            old,
        )
        % {"count": old}
        if old
        else _("The newest key opens every sampled value.")
    )
    return HealthResult(name="privacy.encryption_keys", ok=True, summary=summary, details=details)
