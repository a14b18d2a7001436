"""A logging filter that redacts personal data from every record before it is written.

It runs the one redaction gate (privacy.redaction: names, emails, phones, IBANs, card
numbers, addresses, IDs), the same as everything else that stores free text, plus IP
addresses, which only logs carry (an access log holds the client's).

Cost: the gate takes about 0.4 ms for a short text. Identical messages repeat in logs
(health checks, task heartbeats, access lines), so results are kept in a small
per-process cache; it holds only what the process is logging at that moment anyway
and is never written anywhere.
"""

import logging
import re
import threading
from functools import lru_cache

from privacy.redaction import text_redact

# Loopback and "any" addresses name no one and stay readable in server logs.
IPV4 = re.compile(r"(?<![\d.])(?!127\.|0\.0\.0\.0)(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
PLACEHOLDER_IP = "[IP]"
# Longer texts (tracebacks) are redacted uncached: they rarely repeat.
_CACHED_MAX_LENGTH = 500

_inside = threading.local()


def ip_addresses_redact(text: str) -> str:
    """IP addresses are personal data too (access logs carry the client's)."""
    return IPV4.sub(PLACEHOLDER_IP, text)


@lru_cache(maxsize=1024)
def _log_text_redact_cached(text: str) -> str:
    return text_redact(ip_addresses_redact(text))


def log_text_redact(text: str) -> str:
    """text as it may be written to a log: IP addresses and personal data replaced."""
    if len(text) <= _CACHED_MAX_LENGTH:
        return _log_text_redact_cached(text)
    return text_redact(ip_addresses_redact(text))


class PersonalDataRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_inside, "active", False):
            # A record logged by the redaction itself (a library warning while it runs):
            # redacting it would recurse; such records carry no customer text.
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let the handler report it as usual
            return True
        _inside.active = True
        try:
            record.msg = log_text_redact(message)
            record.args = None
            if record.exc_info and not record.exc_text:
                # Exception messages can carry input (a validation error quoting an email).
                record.exc_text = log_text_redact(
                    logging.Formatter().formatException(record.exc_info)
                )
            elif record.exc_text:
                record.exc_text = log_text_redact(record.exc_text)
        finally:
            _inside.active = False
        return True
