"""A logging filter that redacts personal data from every record before it is written."""

import logging

from privacy.pii_patterns import redact_ip_addresses, redact_patterns


class PersonalDataRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let the handler report it as usual
            return True
        record.msg = redact_ip_addresses(redact_patterns(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            # Exception messages can carry input (a validation error quoting an email).
            record.exc_text = redact_patterns(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact_patterns(record.exc_text)
        return True
