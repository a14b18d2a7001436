"""Text every supported database can store: no NUL character, no lone surrogate.

PostgreSQL refuses both: NUL (U+0000) in any text value, and lone surrogates
(U+D800–U+DFFF, which JSON can carry as "\\ud800" escapes) cannot be encoded to
UTF-8 at all. Let through, they fail deep in the database as a 500 or a closed
socket; checked at the edge, they are a clear "invalid_text" refusal. SQLite
would store them, so the check runs on every database alike.
"""

INVALID_TEXT_CODE = "invalid_text"
# Each kind of text container nested this deep is more than any input of ours holds.
_MAX_WALK_DEPTH = 64


def text_is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    if text.isascii():  # the common case, at C speed
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def values_are_storable(value: object, _depth: int = 0) -> bool:
    """True when every string in value (keys of mappings included) is storable."""
    if isinstance(value, str):
        return text_is_storable(value)
    if _depth > _MAX_WALK_DEPTH:
        return False
    if isinstance(value, dict):
        return all(
            values_are_storable(key, _depth + 1) and values_are_storable(item, _depth + 1)
            for key, item in value.items()
        )
    if isinstance(value, list | tuple):
        return all(values_are_storable(item, _depth + 1) for item in value)
    return True


def _storable(text: str) -> str:
    if text_is_storable(text):
        return text
    text = text.replace("\x00", "")
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def values_made_storable(value: object, _depth: int = 0) -> object:
    """value with NUL characters removed and lone surrogates replaced by U+FFFD.

    For input that cannot be refused: a messenger platform that got an error for a
    webhook would only deliver it again, and again.
    """
    if isinstance(value, str):
        return _storable(value)
    if _depth > _MAX_WALK_DEPTH:
        return None
    if isinstance(value, dict):
        return {
            _storable(key) if isinstance(key, str) else key: values_made_storable(item, _depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [values_made_storable(item, _depth + 1) for item in value]
    return value
