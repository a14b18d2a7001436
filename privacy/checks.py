"""System checks for the key configuration: a wrong key fails loudly at start, not later."""

import cryptography.fernet
from django.conf import settings
from django.core import checks


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
    errors = []
    for position, key in enumerate(keys):
        try:
            cryptography.fernet.Fernet(key)
        except Exception:
            errors.append(
                checks.Error(
                    f"FIELD_ENCRYPTION_KEY[{position}] is not a valid Fernet key "
                    "(32 url-safe base64-encoded bytes).",
                    hint="Generate one with scripts/write_dev_env.py or "
                    "cryptography.fernet.Fernet.generate_key().",
                    id="privacy.E003",
                )
            )
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
