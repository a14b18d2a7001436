import io
import logging
import logging.config

import pytest
from django.conf import settings

from privacy.logging import PersonalDataRedactingFilter


@pytest.fixture
def log_output():
    """The project's real LOGGING config, writing to a buffer."""
    stream = io.StringIO()
    logging.config.dictConfig(settings.LOGGING)
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


@pytest.mark.parametrize(
    ("personal", "placeholder"),
    [
        ("erika.mustermann@example.org", "[EMAIL]"),
        ("+49 171 2345678", "[PHONE]"),
        ("0049 (030) 123 45 67", "[PHONE]"),
        ("0171/2345678", "[PHONE]"),
        ("DE89 3704 0044 0532 0130 00", "[IBAN]"),
        ("DE89370400440532013000", "[IBAN]"),
        ("203.0.113.7", "[IP]"),
        # Names were the weak patterns' blind spot; the full gate catches them.
        ("Herr Schmidt", "[NAME]"),
        ("Erika Mustermann", "[NAME]"),
    ],
)
def test_personal_data_is_redacted_from_log_records(log_output, personal, placeholder):
    logging.getLogger("bot").warning("customer wrote %s today", personal)

    written = log_output.getvalue()
    assert personal not in written and placeholder in written


def test_exception_text_is_redacted(log_output):
    try:
        raise ValueError("unknown address erika@example.org")
    except ValueError:
        logging.getLogger("django").exception("lookup failed")

    written = log_output.getvalue()
    assert "erika@example.org" not in written and "lookup failed" in written


@pytest.mark.parametrize(
    "harmless",
    [
        "2026-11-27 21:05:38",
        "conversation 550e8400-e29b-41d4-a716-446655440000",
        "took 1234 ms for 25 rows",
        '"GET /api/v1/conversations/?page=2 HTTP/1.1" 200 1532',
        "HTTP GET /health/ 200 [0.01, 127.0.0.1:51234]",
        "Task bot.tasks.bot_model_train[1b2c3d4e-aaaa-bbbb-cccc-123456789012] succeeded",
    ],
)
def test_ordinary_log_lines_are_left_alone(harmless):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, harmless, None, None)

    PersonalDataRedactingFilter().filter(record)

    assert record.getMessage() == harmless


def test_a_name_in_a_log_record_never_reaches_the_handler(log_output):
    # given the project's logging config; when a record carries a customer's name and
    # an order number as arguments
    logging.getLogger("agents").info(
        "refund for %s, Bestellnummer %s", "Erika Mustermann", "4711-2026"
    )

    # then the written line keeps the message and loses the person
    written = log_output.getvalue()
    assert "Mustermann" not in written and "Erika" not in written
    assert "refund for [NAME]" in written


def test_the_filter_uses_the_one_redaction_gate(monkeypatch):
    """Logs and stored texts cannot drift apart: the filter calls privacy.redaction."""
    from privacy import logging as privacy_logging

    calls = []
    monkeypatch.setattr(
        privacy_logging, "text_redact", lambda text: calls.append(text) or "[REDACTED]"
    )
    privacy_logging._texts_without_personal_data.clear()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a line %s", ("x",), None)

    PersonalDataRedactingFilter().filter(record)

    privacy_logging._texts_without_personal_data.clear()
    assert calls == ["a line x"] and record.getMessage() == "[REDACTED]"


def test_a_logged_name_is_not_remembered_only_texts_without_personal_data():
    from privacy import logging as privacy_logging
    from privacy.logging import log_text_redact

    privacy_logging._texts_without_personal_data.clear()
    harmless = "Shared suggestions skipped: the cache cannot be reached."
    personal = "Refund asked for by Erika Mustermann, erika@example.com"

    assert log_text_redact(harmless) == harmless
    assert "Mustermann" not in log_text_redact(personal)
    assert "Mustermann" not in log_text_redact(personal)  # the second time too

    assert list(privacy_logging._texts_without_personal_data) == [harmless]
