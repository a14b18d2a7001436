"""Facebook Messenger Platform: Meta webhook notifications in, the Send API out.

A notification (object "page") carries, per entry (entry.id is the page id),
`messaging` events: {"sender": {"id": PSID}, "recipient": {"id": page id},
"timestamp": ms, "message": {"mid", "text" | "attachments", "is_echo"}}, or
"delivery" / "read" receipts. Only the configured page is handled.

Standard messaging: replies within 24 hours of the customer's last message
(messaging_type RESPONSE). With Meta's Human Agent permission, agents may answer
up to 7 days later with messaging_type MESSAGE_TAG and tag HUMAN_AGENT.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings

from bot.channels.base import (
    InboundMessage,
    SendError,
    SendResult,
    StatusUpdate,
    WebhookBatch,
    WebhookRejected,
)
from bot.channels.meta import MetaAdapter, as_dict, as_list
from bot.models import ChannelConfig

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


class MessengerAdapter(MetaAdapter):
    channel = ChannelConfig.Channel.MESSENGER
    # The Send API takes at most 2,000 characters of text per message.
    text_limit = 2000
    # (#10) "This message is sent outside of allowed window." (subcode 2018278)
    window_codes = {"10:2018278", "2018278"}
    # 551: "This person isn't available right now"; 100:2018001: no matching user.
    unreachable_codes = {"551", "551:1545041", "100:2018001"}

    def api_base(self) -> str:
        return settings.CHANNELS_MESSENGER_API_BASE

    def parse(self, *, payload: object, config: ChannelConfig) -> WebhookBatch:
        payload = as_dict(payload, "notification")
        if payload.get("object") != "page":
            return WebhookBatch(ignored=1)
        batch = WebhookBatch()
        for entry in as_list(payload.get("entry"), "entry"):
            entry = as_dict(entry, "entry")
            if str(entry.get("id", "")) != config.account_id:
                batch.ignored += 1
                continue
            # "standby" events belong to another app of the handover protocol: not ours.
            batch.ignored += len(as_list(entry.get("standby"), "standby"))
            for event in as_list(entry.get("messaging"), "messaging"):
                self._event_parse(as_dict(event, "messaging event"), batch)
        return batch

    def _event_parse(self, event: dict, batch: WebhookBatch) -> None:
        delivery = event.get("delivery")
        if isinstance(delivery, dict):
            for mid in as_list(delivery.get("mids"), "mids"):
                if isinstance(mid, str):
                    batch.statuses.append(StatusUpdate(platform_message_id=mid, status="delivered"))
            return
        message = event.get("message")
        if not isinstance(message, dict) or message.get("is_echo"):
            # Read receipts, postbacks, reactions, and echoes of what the page sent.
            batch.ignored += 1
            return
        sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
        psid, mid = sender.get("id"), message.get("mid")
        if not isinstance(psid, str) or not psid or not isinstance(mid, str) or not mid:
            raise WebhookRejected(400, "message without sender or mid")
        text = message.get("text") if isinstance(message.get("text"), str) else None
        kind = "text"
        if text is None:
            attachments = message.get("attachments")
            first = attachments[0] if isinstance(attachments, list) and attachments else {}
            kind = "sticker" if "sticker_id" in message else str(first.get("type", "unsupported"))
        timestamp = event.get("timestamp")
        batch.messages.append(
            InboundMessage(
                platform_message_id=mid,
                external_id=psid,
                kind=kind,
                text=text,
                sent_at=(
                    datetime.fromtimestamp(timestamp / 1000, UTC)
                    if isinstance(timestamp, int) and not isinstance(timestamp, bool)
                    else None
                ),
            )
        )

    def send_text(
        self, *, config: ChannelConfig, recipient: str, text: str, human_agent: bool = False
    ) -> SendResult:
        payload: dict = {"recipient": {"id": recipient}, "message": {"text": text}}
        if human_agent:
            payload |= {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        else:
            payload["messaging_type"] = "RESPONSE"
        body = self.graph_post(config=config, path=f"{config.account_id}/messages", payload=payload)
        if not isinstance(body.get("message_id"), str):
            raise SendError("transient", code="no_message_id")
        return SendResult(platform_message_id=body["message_id"])

    def reply_window(self, *, config: ChannelConfig, human_agent: bool) -> timedelta | None:
        return HUMAN_AGENT_WINDOW if human_agent and config.human_agent_tag else STANDARD_WINDOW
