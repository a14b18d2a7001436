"""A logging filter that redacts personal data from every record before it is written.

It runs the one redaction gate (privacy.redaction: names, emails, phones, IBANs, card
numbers, addresses, IDs), the same as everything else that stores free text, plus IP
addresses, which only logs carry (an access log holds the client's).

Cost: the gate takes about 0.4 ms for a short text. Identical messages repeat in logs
(health checks, task heartbeats, access lines), so the texts the redaction leaves as
they are are remembered in a small per-process set: it holds only what the log holds
anyway. A text with personal data is redacted each time, its original not kept.
"""

import logging
import re
import threading

from privacy.redaction import text_redact

# Loopback and "any" addresses name no one and stay readable in server logs.
IPV4 = re.compile(r"(?<![\d.])(?!127\.|0\.0\.0\.0)(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
PLACEHOLDER_IP = "[IP]"
# Longer texts (tracebacks) are not remembered: they rarely repeat.
_CACHED_MAX_LENGTH = 500
_CACHED_TEXTS_MAX = 1024
# Texts redaction found nothing in (dict: insertion order, the oldest forgotten first).
_texts_without_personal_data: dict[str, None] = {}
_texts_lock = threading.Lock()

_inside = threading.local()


def ip_addresses_redact(text: str) -> str:
    """IP addresses are personal data too (access logs carry the client's)."""
    return IPV4.sub(PLACEHOLDER_IP, text)


def log_text_redact(text: str) -> str:
    """text as it may be written to a log: IP addresses and personal data replaced."""
    if text in _texts_without_personal_data:
        return text
    redacted = text_redact(ip_addresses_redact(text))
    if redacted == text and len(text) <= _CACHED_MAX_LENGTH:
        with _texts_lock:  # records are logged from several threads
            if len(_texts_without_personal_data) >= _CACHED_TEXTS_MAX:
                del _texts_without_personal_data[next(iter(_texts_without_personal_data))]
            _texts_without_personal_data[text] = None
    return redacted


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
