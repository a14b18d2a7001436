"""WhatsApp Business Cloud API: Meta webhook notifications in, /{phone-number-id}/messages out.

A notification (object "whatsapp_business_account") carries, per entry and change
(field "messages"), `value.metadata.phone_number_id`, `value.contacts` (profile name,
wa_id), `value.messages` (from, id, timestamp, type, text.body) and `value.statuses`
(what became of messages we sent). Only messages to the configured phone number id
are handled.

Free-form messages may only be sent within 24 hours of the customer's last message
(the customer service window); outside it the API refuses them (error 131047) and
only approved templates may be sent, which Supportdesk does not send.
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

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
STATUSES = {"sent", "delivered", "read", "failed"}


class WhatsAppAdapter(MetaAdapter):
    channel = ChannelConfig.Channel.WHATSAPP
    text_limit = 4096
    # 131047: "Re-engagement message": more than 24 hours since the customer wrote.
    window_codes = {"131047"}
    # 131026: undeliverable (not on WhatsApp, old app, blocked); 131049, 131050: the user
    # does not take messages from businesses.
    unreachable_codes = {"131026", "131049", "131050"}

    def api_base(self) -> str:
        return settings.CHANNELS_WHATSAPP_API_BASE

    def parse(self, *, payload: object, config: ChannelConfig) -> WebhookBatch:
        payload = as_dict(payload, "notification")
        if payload.get("object") != "whatsapp_business_account":
            return WebhookBatch(ignored=1)
        batch = WebhookBatch()
        for entry in as_list(payload.get("entry"), "entry"):
            for change in as_list(as_dict(entry, "entry").get("changes"), "changes"):
                change = as_dict(change, "change")
                if change.get("field") != "messages":
                    batch.ignored += 1
                    continue
                self._value_parse(as_dict(change.get("value"), "value"), config, batch)
        return batch

    def _value_parse(self, value: dict, config: ChannelConfig, batch: WebhookBatch) -> None:
        metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        if str(metadata.get("phone_number_id", "")) != config.account_id:
            # Another number of the same business account: not ours to answer.
            batch.ignored += 1
            return
        names = {}
        for contact in as_list(value.get("contacts"), "contacts"):
            contact = as_dict(contact, "contact")
            profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
            if isinstance(contact.get("wa_id"), str) and isinstance(profile.get("name"), str):
                names[contact["wa_id"]] = profile["name"]
        for message in as_list(value.get("messages"), "messages"):
            message = as_dict(message, "message")
            sender, message_id = message.get("from"), message.get("id")
            if not isinstance(sender, str) or not sender or not isinstance(message_id, str):
                raise WebhookRejected(400, "message without from or id")
            kind = message.get("type") if isinstance(message.get("type"), str) else "unsupported"
            text = None
            if kind == "text":
                content = message.get("text") if isinstance(message.get("text"), dict) else {}
                text = content.get("body") if isinstance(content.get("body"), str) else None
                kind = "text" if text is not None else "unsupported"
            if kind in ("system", "reaction"):
                # A number change, a reaction to one of our messages: nothing to answer.
                batch.ignored += 1
                continue
            batch.messages.append(
                InboundMessage(
                    platform_message_id=message_id,
                    external_id=sender,
                    kind=kind,
                    text=text,
                    sent_at=_timestamp(message.get("timestamp")),
                    profile_name=names.get(sender, "")[:200],
                    # The WhatsApp id is the phone number in international format.
                    phone=f"+{sender}" if sender.isdigit() else "",
                )
            )
        for status in as_list(value.get("statuses"), "statuses"):
            status = as_dict(status, "status")
            if not isinstance(status.get("id"), str) or status.get("status") not in STATUSES:
                batch.ignored += 1
                continue
            errors = status.get("errors") if isinstance(status.get("errors"), list) else []
            first = errors[0] if errors and isinstance(errors[0], dict) else {}
            batch.statuses.append(
                StatusUpdate(
                    platform_message_id=status["id"],
                    status=status["status"],
                    error_code=str(first.get("code", "")),
                )
            )

    def send_text(
        self, *, config: ChannelConfig, recipient: str, text: str, human_agent: bool = False
    ) -> SendResult:
        body = self.graph_post(
            config=config,
            path=f"{config.account_id}/messages",
            payload={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": recipient,
                "type": "text",
                "text": {"preview_url": False, "body": text},
            },
        )
        messages = body.get("messages") if isinstance(body.get("messages"), list) else []
        first = messages[0] if messages and isinstance(messages[0], dict) else {}
        if not isinstance(first.get("id"), str):
            raise SendError("transient", code="no_message_id")
        return SendResult(platform_message_id=first["id"])

    def reply_window(self, *, config: ChannelConfig, human_agent: bool) -> timedelta | None:
        return CUSTOMER_SERVICE_WINDOW


def _timestamp(value: object) -> datetime | None:
    """WhatsApp timestamps are Unix seconds as a string."""
    if isinstance(value, str) and value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return None
