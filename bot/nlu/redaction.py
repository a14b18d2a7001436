"""Redaction: personal data replaced by typed placeholders before text is stored redacted.

This first slice covers what is recognisable by its form (emails, phones,
IBANs, via privacy.pii_patterns) and the subject's own known name. The NLU
issue extends it (addresses, card numbers, order numbers, name detection);
every caller already goes through `text_redact`, so they all get the extension.
"""

import re
from collections.abc import Iterable

from privacy.pii_patterns import redact_patterns

PLACEHOLDER_NAME = "[NAME]"
_MIN_NAME_PART_LENGTH = 2


def _known_names_redact(text: str, known_names: Iterable[str]) -> str:
    parts = {
        part
        for name in known_names
        if name
        for part in re.split(r"\s+", name.strip())
        if len(part) >= _MIN_NAME_PART_LENGTH
    }
    for part in sorted(parts, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", PLACEHOLDER_NAME, text, flags=re.I)
    return text


def text_redact(text: str, *, known_names: Iterable[str] = ()) -> str:
    return redact_patterns(_known_names_redact(text, known_names))
