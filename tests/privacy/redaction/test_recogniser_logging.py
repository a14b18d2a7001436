"""The recogniser logs while it loads, and every log line passes the log redaction, which
asks for the recogniser: loading must not wait for itself (it once hung at start-up)."""

import logging
import threading

from privacy.logging import PersonalDataRedactingFilter
from privacy.redaction import recogniser as recogniser_module


def test_loading_the_recogniser_under_the_redacting_log_filter_does_not_hang():
    handler = logging.NullHandler()
    handler.addFilter(PersonalDataRedactingFilter())
    logger = logging.getLogger(recogniser_module.__name__)
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    recogniser_module.recogniser_reset()
    loaded = []
    try:
        loader = threading.Thread(target=lambda: loaded.append(recogniser_module.recogniser("de")))
        loader.start()
        loader.join(timeout=60)

        assert not loader.is_alive(), "loading the recogniser deadlocked on its own log line"
        assert loaded and loaded[0] is not None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
