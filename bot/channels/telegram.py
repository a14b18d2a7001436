"""Telegram Bot API: webhook updates in, sendMessage out.

https://core.telegram.org/bots/api#setwebhook: every update is POSTed to the webhook
URL with the secret_token given to setWebhook in `X-Telegram-Bot-Api-Secret-Token`.
Only private chats with people are handled; groups, channels and other bots are
acknowledged and ignored.
"""

import hmac
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest

from bot.channels.base import (
    Adapter,
    InboundMessage,
    SendError,
    SendResult,
    WebhookBatch,
    WebhookRejected,
)
from bot.models import ChannelConfig
from platform_core.http_client import HttpAnswer, TransportError, json_post

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Message fields that carry something other than text (Bot API "Message" object).
NON_TEXT_FIELDS = (
    "photo",
    "sticker",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
)
# Updates of the kinds we subscribe to in setWebhook (allowed_updates).
ALLOWED_UPDATES = ["message"]


def _api_url(config: ChannelConfig, method: str) -> str:
    # The token is part of the path: this URL is never logged or put into an error.
    return f"{settings.CHANNELS_TELEGRAM_API_BASE.rstrip('/')}/bot{config.access_token}/{method}"


def _chat_id(recipient: str) -> int | str:
    return int(recipient) if recipient.lstrip("-").isdigit() else recipient


class TelegramAdapter(Adapter):
    channel = ChannelConfig.Channel.TELEGRAM
    text_limit = 4096

    def verify(self, *, request: HttpRequest, config: ChannelConfig, body: bytes) -> None:
        given = request.headers.get(SECRET_HEADER, "")
        if not given or not config.webhook_secret:
            raise WebhookRejected(403, "secret token missing")
        if not hmac.compare_digest(given.encode("utf-8"), config.webhook_secret.encode("utf-8")):
            raise WebhookRejected(403, "secret token wrong")

    def parse(self, *, payload: object, config: ChannelConfig) -> WebhookBatch:
        if not isinstance(payload, dict) or not _is_int(payload.get("update_id")):
            raise WebhookRejected(400, "not a Telegram update")
        message = payload.get("message")
        if message is None:
            # edited_message, callback_query, my_chat_member …: nothing to answer.
            return WebhookBatch(ignored=1)
        if not isinstance(message, dict):
            raise WebhookRejected(400, "message is not an object")
        chat, sender = message.get("chat"), message.get("from")
        if not isinstance(chat, dict) or not _is_int(chat.get("id")):
            raise WebhookRejected(400, "message without chat")
        if chat.get("type") != "private" or not isinstance(sender, dict) or sender.get("is_bot"):
            return WebhookBatch(ignored=1)
        text = message.get("text")
        if isinstance(text, str):
            kind = "text"
        else:
            text = None
            kind = next((name for name in NON_TEXT_FIELDS if name in message), "unsupported")
        date = message.get("date")
        name = " ".join(
            part
            for part in (sender.get("first_name"), sender.get("last_name"))
            if isinstance(part, str) and part
        )
        language = sender.get("language_code")
        return WebhookBatch(
            messages=[
                InboundMessage(
                    # Telegram redelivers the same update with the same update_id.
                    platform_message_id=str(payload["update_id"]),
                    external_id=str(chat["id"]),
                    kind=kind,
                    text=text,
                    sent_at=datetime.fromtimestamp(date, UTC) if _is_int(date) else None,
                    profile_name=name[:200],
                    language=language[:2].lower() if isinstance(language, str) else "",
                )
            ]
        )

    def send_text(
        self, *, config: ChannelConfig, recipient: str, text: str, human_agent: bool = False
    ) -> SendResult:
        try:
            answer = json_post(
                url=_api_url(config, "sendMessage"),
                payload={"chat_id": _chat_id(recipient), "text": text},
            )
        except TransportError:
            raise SendError("transient", code="network") from None
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 200 and body.get("ok") is True:
            result = body.get("result") if isinstance(body.get("result"), dict) else {}
            return SendResult(platform_message_id=str(result.get("message_id", "")))
        raise _error(answer, body)

    def webhook_register(self, *, config: ChannelConfig, url: str) -> None:
        """setWebhook: Telegram sends updates to `url` with our secret token."""
        try:
            answer = json_post(
                url=_api_url(config, "setWebhook"),
                payload={
                    "url": url,
                    "secret_token": config.webhook_secret,
                    "allowed_updates": ALLOWED_UPDATES,
                },
            )
        except TransportError:
            raise SendError("transient", code="network") from None
        body = answer.body if isinstance(answer.body, dict) else {}
        if not (answer.status == 200 and body.get("ok") is True):
            raise _error(answer, body)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _error(answer: HttpAnswer, body: dict) -> SendError:
    """Bot API errors: {"ok": false, "error_code": 429, "description": "…",
    "parameters": {"retry_after": 5}}."""
    code = body.get("error_code", answer.status)
    parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    retry_after = parameters.get("retry_after")
    if not isinstance(retry_after, int | float):
        retry_after = answer.retry_after
    if answer.status == 429:
        return SendError("rate_limited", code=str(code), retry_after=retry_after)
    if answer.status >= 500:
        return SendError("transient", code=str(code), retry_after=retry_after)
    if answer.status == 401:
        return SendError("credentials", code=str(code))
    if answer.status == 403:
        # "Forbidden: bot was blocked by the user" / "user is deactivated".
        return SendError("unreachable", code=str(code))
    return SendError("rejected", code=str(code))
