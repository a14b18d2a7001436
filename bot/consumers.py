"""The customer chat websocket, /ws/chat/ (protocol v1, README "Chat protocol").

This slice speaks hello/welcome (start or resume a conversation, with the
history since a seq); consent, identification and messages come with the
live-chat issue. Bad input gets an error frame and the connection stays open.
"""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from bot.models import Conversation
from bot.selectors import conversation_get_by_resume_token, message_list_since
from bot.services import conversation_start

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 16 * 1024
SUPPORTED_LANGUAGES = ("de", "en")


def _message_frame(message) -> dict:
    return {
        "type": "message",
        "seq": message.seq,
        "from": message.sender,
        "text": message.text,
        "sent_at": message.created_at.isoformat(),
    }


@database_sync_to_async
def _conversation_open(*, token: str | None, language: str, after_seq: int):
    conversation = conversation_get_by_resume_token(token=token) if token else None
    if conversation is None:
        conversation, token = conversation_start(
            channel=Conversation.Channel.WEB, language=language
        )
    history = [
        _message_frame(m)
        for m in message_list_since(conversation=conversation, after_seq=after_seq)
    ]
    return conversation, token, history


class ChatConsumer(AsyncJsonWebsocketConsumer):
    conversation: Conversation | None = None
    language = "de"

    async def connect(self) -> None:
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if text_data is None:
            return await self.send_error("text_frames_only", _("Send JSON text frames."))
        if len(text_data.encode("utf-8")) > MAX_FRAME_BYTES:
            return await self.send_error("frame_too_large", _("This message is too long."))
        try:
            content = json.loads(text_data)
        except json.JSONDecodeError:
            return await self.send_error("invalid_json", _("This is not valid JSON."))
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            return await self.send_error(
                "invalid_frame", _('Every frame is a JSON object with a "type".')
            )
        await self.receive_json(content)

    async def receive_json(self, content: dict, **kwargs) -> None:
        frame_type = content["type"]
        if frame_type == "hello":
            return await self.handle_hello(content)
        if self.conversation is None:
            return await self.send_error("hello_required", _('Start with a "hello" frame.'))
        if frame_type in {"consent", "identify", "message", "escalate", "feedback", "typing"}:
            return await self.send_error(
                "consent_required",
                _("Please accept the privacy policy before you write to us."),
            )
        return await self.send_error("unknown_type", _("Unknown frame type."))

    async def handle_hello(self, content: dict) -> None:
        language = content.get("lang")
        self.language = language if language in SUPPORTED_LANGUAGES else "de"
        token = content.get("conversation")
        after_seq = content.get("since", 0)
        if (token is not None and not isinstance(token, str)) or not isinstance(after_seq, int):
            return await self.send_error("invalid_frame", _("Invalid hello frame."))
        self.conversation, token, history = await _conversation_open(
            token=token, language=self.language, after_seq=max(after_seq, 0)
        )
        await self.send_json(
            {
                "type": "welcome",
                "version": PROTOCOL_VERSION,
                "conversation": token,
                "status": self.conversation.status,
                "consent": {"required": True},
                "history": history,
            }
        )

    async def send_error(self, code: str, detail: str) -> None:
        with translation.override(self.language):
            await self.send_json({"type": "error", "code": code, "detail": str(detail)})
