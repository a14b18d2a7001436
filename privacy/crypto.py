"""Field encryption helpers: the key ring, the blind index, key rotation.

django-encrypted-model-fields builds its MultiFernet once, at import, from
settings.FIELD_ENCRYPTION_KEY. `crypter_reload()` rebuilds it, so a changed
key list (a test, or a rotation run) takes effect without a restart.
"""

import hashlib
import hmac
import unicodedata

import cryptography.fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from encrypted_model_fields import fields as library_fields

FERNET_TOKEN_PREFIX = "gAAAA"


class EncryptionKeyError(ImproperlyConfigured):
    """A stored value cannot be decrypted with any configured key."""


def encryption_keys() -> list[str]:
    keys = settings.FIELD_ENCRYPTION_KEY
    if isinstance(keys, str):
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be a list of keys (newest first), not a string."
        )
    return list(keys)


def crypter_reload() -> None:
    library_fields.CRYPTER = library_fields.get_crypter()


def ciphertext_decrypt(token: str) -> str:
    """Decrypt a stored token; a token no key opens is an error, never returned as text."""
    try:
        return library_fields.CRYPTER.decrypt(token.encode("utf-8")).decode("utf-8")
    except cryptography.fernet.InvalidToken as error:
        raise EncryptionKeyError(
            "A stored encrypted value cannot be decrypted with any key in "
            "FIELD_ENCRYPTION_KEY. Is an old key missing from the list?"
        ) from error


def ciphertext_is_current(token: str) -> bool:
    """True when the newest key alone opens the token (nothing left to rotate)."""
    newest = cryptography.fernet.Fernet(encryption_keys()[0])
    try:
        newest.decrypt(token.encode("utf-8"))
    except cryptography.fernet.InvalidToken:
        return False
    return True


def ciphertext_rotate(token: str) -> str:
    return library_fields.CRYPTER.rotate(token.encode("utf-8")).decode("utf-8")


def email_normalise(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()


def blind_index(value: str) -> str:
    """Keyed HMAC-SHA256 of a normalised value: findable, not reversible without the key."""
    key = settings.BLIND_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is not set.")
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def email_blind_index(email: str) -> str:
    return blind_index(email_normalise(email))
