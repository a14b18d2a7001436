"""What every messenger adapter speaks: parsed webhook events, send results, errors.

An adapter (telegram.py, whatsapp.py, messenger.py) verifies a webhook request,
parses its body into these plain objects and sends text. It stores nothing and
drives no dialog: bot.channels.services does that, the same for every platform.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse

from bot.models import ChannelConfig


class WebhookRejected(Exception):  # noqa: N818  (a refusal, not a failure)
    """A webhook request refused before anything was stored; `status` is the HTTP answer.

    The message is for the operator's log: never the request's content.
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SendError(Exception):
    """The platform did not take a message. `kind` decides what happens next:

    - "rate_limited", "transient": send again later (after `retry_after` seconds if given);
    - "window_closed", "unreachable", "credentials", "rejected": give up, tell the agent.

    `code` is the platform's error code (never its message, which can quote the text).
    """

    RETRYABLE = ("rate_limited", "transient")

    def __init__(self, kind: str, *, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{kind} {code}".strip())
        self.kind = kind
        self.code = code
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in self.RETRYABLE


@dataclass(frozen=True)
class InboundMessage:
    """One customer message from a platform. `text` is None for anything but text."""

    platform_message_id: str
    external_id: str
    kind: str
    text: str | None = None
    sent_at: datetime | None = None
    profile_name: str = ""
    phone: str = ""
    language: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    """The platform's news about a message we sent: delivered, read or failed."""

    platform_message_id: str
    status: str
    error_code: str = ""


@dataclass
class WebhookBatch:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    # Events we do not handle (edits, echoes, other pages, group chats): acknowledged only.
    ignored: int = 0


@dataclass(frozen=True)
class SendResult:
    platform_message_id: str


class Adapter(ABC):
    """The interface of one platform. Subclasses fill in every method."""

    channel: str = ""
    # The longest text one platform message may carry; longer texts go out in parts.
    text_limit: int = 4096

    def handshake(self, *, request: HttpRequest, config: ChannelConfig) -> HttpResponse:
        """A GET on the webhook URL (Meta's subscription check); others answer 405."""
        return HttpResponse(status=405)

    @abstractmethod
    def verify(self, *, request: HttpRequest, config: ChannelConfig, body: bytes) -> None:
        """Raise WebhookRejected(403) unless the request provably comes from the platform."""

    @abstractmethod
    def parse(self, *, payload: object, config: ChannelConfig) -> WebhookBatch:
        """The events of a verified body; WebhookRejected(400) when its shape is wrong."""

    @abstractmethod
    def send_text(
        self, *, config: ChannelConfig, recipient: str, text: str, human_agent: bool = False
    ) -> SendResult:
        """Send one text (at most text_limit characters); SendError when not taken."""

    def reply_window(self, *, config: ChannelConfig, human_agent: bool) -> timedelta | None:
        """How long after the customer's last message we may still write; None: always."""
        return None
