"""JSON over HTTPS to other systems (the messenger platforms), with the standard library only.

Errors never carry the URL: Telegram's URL holds the bot token.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from django.conf import settings

# A platform answer larger than this is not read further (we only need ids and codes).
RESPONSE_MAX_BYTES = 256 * 1024
USER_AGENT = "Supportdesk"


class TransportError(Exception):
    """No HTTP answer at all (connection refused, timeout, TLS): worth another try."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    # The parsed JSON body; None when it was not JSON.
    body: object
    # Seconds from the Retry-After header; None when absent or unreadable.
    retry_after: float | None


def retry_after_parse(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def json_post(*, url: str, payload: dict, headers: dict[str, str] | None = None) -> HttpAnswer:
    """POST `payload` as JSON; any HTTP status is an answer, only no answer raises."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310  (the URL comes from settings)
            request, timeout=settings.CHANNELS_HTTP_TIMEOUT_SECONDS
        ) as response:
            return _answer(response.status, response.headers, response.read(RESPONSE_MAX_BYTES))
    except urllib.error.HTTPError as error:
        with error:
            return _answer(error.code, error.headers, error.read(RESPONSE_MAX_BYTES))
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        # `from None`: the chained error could name the host; the URL itself never appears.
        raise TransportError(type(error).__name__) from None


def _answer(status: int, headers, raw: bytes) -> HttpAnswer:
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        body = None
    return HttpAnswer(
        status=status,
        body=body,
        retry_after=retry_after_parse(headers.get("Retry-After") if headers else None),
    )
