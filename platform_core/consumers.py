"""The base of every websocket consumer: bounded JSON parsing and error frames.

Every frame is decoded by frame_decode: valid JSON that would crash Python's parser
or the database behind it (nesting deeper than MAX_JSON_DEPTH, which raises
RecursionError; integers longer than MAX_INTEGER_DIGITS, which raise ValueError
beyond 4,300 digits and overflow every integer column long before) and text the
database refuses (NUL, lone surrogates) is answered with an error frame; the
connection stays open. A frame that carries a client message id gets it back in
the error frame, so the client can drop that message instead of resending it.
"""

import json
import re

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from platform_core.storable_text import INVALID_TEXT_CODE, text_is_storable, values_are_storable

# Our frames nest two or three levels; the limit leaves room without risking recursion.
MAX_JSON_DEPTH = 32
# Sequence numbers, scores and counters fit in 64 bits (19 digits, a sign aside).
MAX_INTEGER_DIGITS = 19

_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')

# English; the chat consumer has its own translated details.
ERROR_DETAILS = {
    "text_frames_only": "Send JSON text frames.",
    "invalid_json": "This is not valid JSON.",
    "invalid_frame": (
        f'Every frame is a JSON object with a "type", nested at most {MAX_JSON_DEPTH} '
        f"levels, with integers of at most {MAX_INTEGER_DIGITS} digits."
    ),
    INVALID_TEXT_CODE: "Text must not contain NUL characters or lone surrogates.",
    "unknown_type": "Unknown frame type.",
}


# What frame_decode_or_answer returns for a refused frame (None is a JSON value).
REFUSED = object()


class FrameError(ValueError):
    def __init__(self, code: str, *, client_id: str | None = None) -> None:
        super().__init__(code)
        self.code, self.client_id = code, client_id


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise FrameError("invalid_frame")
    return int(digits)


def _refuse_constant(name: str):
    raise FrameError("invalid_json")  # NaN, Infinity: not JSON, though Python reads them


def _too_deep(text: str) -> bool:
    # Fast path: fewer brackets than the limit cannot nest beyond it (str.count runs at
    # C speed; a chat message rarely holds any). Otherwise count the real nesting,
    # skipping brackets inside strings, with one regular-expression pass.
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif token in "]}":
            depth -= 1
    return False


# One decoder, built once: json.loads with hooks would build a new one per frame.
_DECODER = json.JSONDecoder(parse_int=_integer, parse_constant=_refuse_constant)


def frame_decode(text: str) -> object:
    """The JSON value of a text frame, or FrameError with the code to answer."""
    if _too_deep(text):
        raise FrameError("invalid_frame")
    try:
        content = _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise FrameError("invalid_json") from error
    except RecursionError as error:  # only if the depth count above were ever wrong
        raise FrameError("invalid_frame") from error
    # NUL and lone surrogates reach a str only through \u escapes (the frame itself is
    # valid UTF-8 and JSON forbids raw control characters): walk only when one is there.
    if "\\u" in text and not values_are_storable(content):
        client_id = content.get("id") if isinstance(content, dict) else None
        if not (isinstance(client_id, str) and text_is_storable(client_id)):
            client_id = None
        raise FrameError(INVALID_TEXT_CODE, client_id=client_id)
    return content


class JsonConsumer(AsyncJsonWebsocketConsumer):
    """channels' JSON consumer, with bounded parsing, error frames, and without its
    per-frame hop to the database thread.

    channels' dispatch first runs close_old_connections in the database thread, for
    every frame. Our consumers touch the database only through database_sync_to_async,
    which closes old connections itself, before and after; and under load that extra
    hop queues behind every other connection's database work, doubling each frame's
    wait (benchmarks/chat_load.py).
    """

    error_details = ERROR_DETAILS

    async def dispatch(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if text_data is None:
            return await self.send_error("text_frames_only")
        content = await self.frame_decode_or_answer(text_data)
        if content is not REFUSED:
            await self.receive_json(content)

    async def frame_decode_or_answer(self, text: str) -> object:
        """The frame's JSON value; REFUSED when it was answered with an error frame."""
        try:
            return frame_decode(text)
        except FrameError as error:
            extra = {"id": error.client_id} if error.client_id is not None else {}
            await self.send_error(error.code, **extra)
            return REFUSED

    async def send_error(self, code: str, **extra) -> None:
        detail = self.error_details.get(code, self.error_details["invalid_frame"])
        await self.send_json({"type": "error", "code": code, "detail": str(detail), **extra})


class NotFoundConsumer(JsonConsumer):
    """Any websocket path no route knows: refused with 4404, not a server error."""

    async def connect(self) -> None:
        await self.close(code=4404)
