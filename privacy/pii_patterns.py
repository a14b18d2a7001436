"""Patterns for personal data that is recognisable by its form: emails, phones, IBANs.

The logging filter uses these on every record. The bot's full redaction
(names, addresses, order numbers …) builds on them in privacy/redaction/__init__.py.
"""

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Two-letter country code, two check digits, 11–30 alphanumerics, spaces allowed in groups of 4.
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
# German and international numbers: +49 …, 0049 …, 0171 …, (030) …, with spaces,
# slashes or dashes. They start with "+" or a (bracketed) 0, as German numbers
# are written, and have at least 7 digits, so counts, years and amounts stay.
PHONE = re.compile(r"(?<![\w+\-.:/])(?:\+\d|\(?0)[\d ()/\-]{5,}\d(?![\w\-.:])")
_PHONE_MIN_DIGITS = 7
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}")
# Loopback and "any" addresses name no one and stay readable in server logs.
IPV4 = re.compile(r"(?<![\d.])(?!127\.|0\.0\.0\.0)(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")

PLACEHOLDER_EMAIL = "[EMAIL]"
PLACEHOLDER_IBAN = "[IBAN]"
PLACEHOLDER_PHONE = "[PHONE]"
PLACEHOLDER_IP = "[IP]"


def _phone_or_keep(match: re.Match) -> str:
    candidate = match.group(0)
    digits = sum(ch.isdigit() for ch in candidate)
    if digits < _PHONE_MIN_DIGITS or _DATE.search(candidate):
        return candidate
    return PLACEHOLDER_PHONE


def redact_patterns(text: str) -> str:
    """Replace emails, IBANs and phone numbers with typed placeholders."""
    text = EMAIL.sub(PLACEHOLDER_EMAIL, text)
    text = IBAN.sub(PLACEHOLDER_IBAN, text)
    return PHONE.sub(_phone_or_keep, text)


def redact_ip_addresses(text: str) -> str:
    """IP addresses are personal data too (access logs carry the client's)."""
    return IPV4.sub(PLACEHOLDER_IP, text)
