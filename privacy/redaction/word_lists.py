"""The shipped word lists (frequent words, medical words, places, nouns): one way to read them."""

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def word_list_read(path: Path) -> frozenset[str]:
    """The words of a shipped list, one per line, "#" lines its header. A missing list is
    logged and empty: redaction then hides more as names, never less."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        logger.warning("No word list in %s.", path)
        return frozenset()
    return frozenset(line for line in lines if line and not line.startswith("#"))
