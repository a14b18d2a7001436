"""Resume tokens: unguessable, shown to the client once, stored only as a hash."""

import hashlib
import secrets

RESUME_TOKEN_BYTES = 32


def resume_token_new() -> str:
    return secrets.token_urlsafe(RESUME_TOKEN_BYTES)


def resume_token_hash(token: str) -> str:
    # A plain SHA-256 suffices: the token has 256 bits of entropy, nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
