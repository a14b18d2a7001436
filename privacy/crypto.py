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

FERNET_TOKEN_PREFIX = "gAAAA"


class EncryptionKeyError(ImproperlyConfigured):
    """A stored value cannot be decrypted with any configured key."""


def encryption_keys_invalid(keys) -> list[int]:
    """Positions in the key list that are not Fernet keys (32 url-safe base64 bytes)."""
    invalid = []
    for position, key in enumerate(keys):
        try:
            cryptography.fernet.Fernet(key)
        except (ValueError, TypeError):
            invalid.append(position)
    return invalid


def _keys_checked_before_the_library_reads_them() -> None:
    # The library builds its key ring when it is imported (below) and dies with
    # "Fernet key must be 32 url-safe base64-encoded bytes", naming no key. Checked
    # first, so the operator learns which entry of the list is wrong. A string or an
    # empty list is left to the system checks (privacy.E001, E002), which say more.
    keys = getattr(settings, "FIELD_ENCRYPTION_KEY", None)
    if not isinstance(keys, list | tuple):
        return
    invalid = encryption_keys_invalid(keys)
    if invalid:
        positions = ", ".join(f"FIELD_ENCRYPTION_KEY[{position}]" for position in invalid)
        raise ImproperlyConfigured(
            f"{positions} of {len(keys)} is not a valid Fernet key (32 url-safe "
            "base64-encoded bytes; counted from 0, newest first). Generate one with "
            "cryptography.fernet.Fernet.generate_key()."
        )


_keys_checked_before_the_library_reads_them()

from encrypted_model_fields import fields as library_fields  # noqa: E402


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


def ciphertext_decrypt_bytes(token: bytes) -> bytes:
    """Decrypt a stored file (an export, a signed agreement); no key opens it: an error."""
    try:
        return library_fields.CRYPTER.decrypt(token)
    except cryptography.fernet.InvalidToken as error:
        raise EncryptionKeyError(
            "A stored encrypted file cannot be decrypted with any key in "
            "FIELD_ENCRYPTION_KEY. Is an old key missing from the list?"
        ) from error


class KeyRing:
    """The configured keys, for telling which of them opens a stored token.

    Only the signature is checked (Fernet.extract_timestamp), nothing is decrypted:
    counting every value in the database stays cheap and handles no plaintext.
    """

    def __init__(self, keys: list[str] | None = None) -> None:
        self.keys = list(keys) if keys is not None else encryption_keys()
        self._fernets = [cryptography.fernet.Fernet(key) for key in self.keys]

    def __len__(self) -> int:
        return len(self._fernets)

    def position(self, token: str | bytes) -> int | None:
        """The position (0 = newest) of the key that opens the token, None for no key."""
        if isinstance(token, str):
            token = token.encode("utf-8")
        for position, fernet in enumerate(self._fernets):
            try:
                fernet.extract_timestamp(token)
            except cryptography.fernet.InvalidToken:
                continue
            return position
        return None


def ciphertext_is_current(token: str) -> bool:
    """True when the newest key alone opens the token (nothing left to rotate)."""
    return KeyRing(encryption_keys()[:1]).position(token) == 0


def ciphertext_rotate(token: str | bytes) -> str | bytes:
    """The token re-encrypted under the newest key (same type as given); a token no key
    opens raises EncryptionKeyError."""
    raw = token.encode("utf-8") if isinstance(token, str) else token
    try:
        rotated = library_fields.CRYPTER.rotate(raw)
    except cryptography.fernet.InvalidToken as error:
        raise EncryptionKeyError(
            "A stored encrypted value cannot be decrypted with any key in FIELD_ENCRYPTION_KEY."
        ) from error
    return rotated.decode("utf-8") if isinstance(token, str) else rotated


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
