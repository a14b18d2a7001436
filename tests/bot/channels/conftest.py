"""Fixtures of the messenger channel tests: the fake platforms, active channels, and a
driver per platform that sends webhook requests exactly as the platform would."""

import hashlib
import hmac
import itertools
import json
import time
from datetime import date

import pytest
from django.urls import reverse

from bot.channels.services import channel_config_activate
from bot.models import ChannelConfig
from privacy.models import ProcessingAgreement, Processor
from tests.bot.channels.fakes import FakePlatforms

CHANNELS = ["telegram", "whatsapp", "messenger"]
TOKENS = {
    "telegram": "123456789:AAtest-telegram-bot-token",
    "whatsapp": "EAAGtest-whatsapp-access-token",
    "messenger": "EAAGtest-messenger-page-token",
}
APP_SECRET = "test-meta-app-secret"
VERIFY_TOKEN = "test-verify-token"
TELEGRAM_SECRET = "test-telegram-secret_token-1"
ACCOUNTS = {"whatsapp": "106540352242922", "messenger": "104123456789012"}
CUSTOMERS = {"telegram": "424242", "whatsapp": "4915112345678", "messenger": "6501234567890123"}
PROFILE_NAME = "Erika Mustermann"

_ids = itertools.count(1000)


@pytest.fixture
def fake_platforms(settings):
    fake = FakePlatforms(tokens=TOKENS, accounts=ACCOUNTS).start()
    settings.CHANNELS_TELEGRAM_API_BASE = f"{fake.url}/telegram"
    settings.CHANNELS_WHATSAPP_API_BASE = f"{fake.url}/whatsapp"
    settings.CHANNELS_MESSENGER_API_BASE = f"{fake.url}/messenger"
    settings.CHANNELS_HTTP_TIMEOUT_SECONDS = 5
    yield fake
    fake.stop()


def agreement_create(channel: str, *, status=ProcessingAgreement.Status.ACTIVE):
    processor = Processor.objects.create(
        name=f"{channel} provider", address="Somewhere 1", channel=channel, country="IE"
    )
    return ProcessingAgreement.objects.create(
        processor=processor,
        subject_matter="Messages of customers",
        duration="Until terminated",
        nature_and_purpose="Delivering support messages",
        data_categories="Platform ids, names, message text",
        subject_categories="Customers",
        retention_terms="As instructed",
        technical_measures="Encryption",
        controller_rights_duties="Art. 28(3)",
        processor_rights_duties="Art. 28(3)",
        signed_at=date(2026, 1, 1) if status == ProcessingAgreement.Status.ACTIVE else None,
        status=status,
    )


def config_create(channel: str, **overrides) -> ChannelConfig:
    values = {
        "channel": channel,
        "access_token": TOKENS[channel],
        "app_secret": APP_SECRET if channel != "telegram" else "",
        "verify_token": VERIFY_TOKEN if channel != "telegram" else "",
        "webhook_secret": TELEGRAM_SECRET if channel == "telegram" else "",
        "account_id": ACCOUNTS.get(channel, ""),
    }
    return ChannelConfig.objects.create(**{**values, **overrides})


@pytest.fixture
def active_channel(db):
    """active_channel("whatsapp"): the channel configured, its agreement signed, active."""

    def make(channel: str, **overrides) -> ChannelConfig:
        agreement_create(channel)
        return channel_config_activate(config=config_create(channel, **overrides), acting_user=None)

    return make


class Driver:
    """Speaks one platform's webhook format to Supportdesk, as one customer."""

    def __init__(self, *, channel, client, fake, capture) -> None:
        self.channel = channel
        self.client = client
        self.fake = fake
        self.capture = capture
        self.customer = CUSTOMERS[channel]

    @property
    def url(self) -> str:
        return reverse("bot_channels:webhook", args=[self.channel])

    # Payloads, in each platform's documented format -----------------------------------------

    def payload(
        self, text: str | None = None, *, kind: str = "text", message_id=None, sent_at=None
    ) -> dict:
        number = next(_ids)
        sent_at = int(time.time()) if sent_at is None else int(sent_at)
        if self.channel == "telegram":
            return self._telegram(text, kind, message_id or number, sent_at)
        if self.channel == "whatsapp":
            return self._whatsapp(text, kind, message_id or f"wamid.HBgN{number:012d}", sent_at)
        return self._messenger(text, kind, message_id or f"m_{number}", sent_at)

    def _telegram(self, text, kind, update_id, sent_at) -> dict:
        person = {"first_name": "Erika", "last_name": "Mustermann"}
        message = {
            "message_id": update_id,
            "from": {"id": int(self.customer), "is_bot": False, **person, "language_code": "de"},
            "chat": {"id": int(self.customer), **person, "type": "private"},
            "date": sent_at,
        }
        if kind == "text":
            message["text"] = text
        else:
            message[kind] = {
                "photo": [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90}],
                "sticker": {"file_id": "CAAC", "emoji": "😀", "is_animated": False},
                "voice": {"file_id": "AwAC", "duration": 2, "mime_type": "audio/ogg"},
                "location": {"latitude": 53.55, "longitude": 9.99},
            }[kind]
        return {"update_id": update_id, "message": message}

    def _whatsapp(self, text, kind, message_id, sent_at) -> dict:
        message = {"from": self.customer, "id": message_id, "timestamp": str(sent_at)}
        if kind == "text":
            message |= {"type": "text", "text": {"body": text}}
        else:
            media = {"mime_type": "image/jpeg", "sha256": "abc=", "id": "1479537139650973"}
            message |= {
                "photo": {"type": "image", "image": media},
                "sticker": {"type": "sticker", "sticker": {**media, "mime_type": "image/webp"}},
                "voice": {
                    "type": "audio",
                    "audio": {**media, "mime_type": "audio/ogg; codecs=opus", "voice": True},
                },
                "location": {
                    "type": "location",
                    "location": {"latitude": 53.55, "longitude": 9.99, "name": "Hamburg"},
                },
            }[kind]
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550783881",
                                    "phone_number_id": ACCOUNTS["whatsapp"],
                                },
                                "contacts": [
                                    {"profile": {"name": PROFILE_NAME}, "wa_id": self.customer}
                                ],
                                "messages": [message],
                            },
                        }
                    ],
                }
            ],
        }

    def _messenger(self, text, kind, mid, sent_at) -> dict:
        message = {"mid": mid}
        if kind == "text":
            message["text"] = text
        elif kind == "sticker":
            url = "https://scontent.xx.fbcdn.net/sticker.png"
            message |= {
                "sticker_id": 369239263222822,
                "attachments": [
                    {"type": "image", "payload": {"url": url, "sticker_id": 369239263222822}}
                ],
            }
        else:
            kind_name = {"photo": "image", "voice": "audio", "location": "location"}[kind]
            message["attachments"] = [
                {"type": kind_name, "payload": {"url": "https://scontent.xx.fbcdn.net/x"}}
            ]
        return {
            "object": "page",
            "entry": [
                {
                    "id": ACCOUNTS["messenger"],
                    "time": sent_at * 1000,
                    "messaging": [
                        {
                            "sender": {"id": self.customer},
                            "recipient": {"id": ACCOUNTS["messenger"]},
                            "timestamp": sent_at * 1000,
                            "message": message,
                        }
                    ],
                }
            ],
        }

    # Requests -------------------------------------------------------------------------------

    def headers(self, body: bytes, *, secret: str | None = None) -> dict:
        if self.channel == "telegram":
            return {
                "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET if secret is None else secret
            }
        key = (APP_SECRET if secret is None else secret).encode()
        return {"X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()}

    def post_raw(self, body: bytes, *, headers: dict | None = None):
        headers = self.headers(body) if headers is None else headers
        with self.capture(execute=True):
            return self.client.post(
                self.url, data=body, content_type="application/json", headers=headers
            )

    def post(self, payload: dict, **kwargs):
        return self.post_raw(json.dumps(payload).encode(), **kwargs)

    def say(self, text: str, **kwargs):
        response = self.post(self.payload(text, **kwargs))
        assert response.status_code == 200, response.content
        return response

    def send(self, kind: str):
        response = self.post(self.payload(kind=kind))
        assert response.status_code == 200, response.content
        return response

    def replies(self) -> list[str]:
        return self.fake.texts(self.channel)

    def last_reply(self) -> str:
        return self.replies()[-1]


@pytest.fixture
def driver(client, fake_platforms, django_capture_on_commit_callbacks, celery_eager):
    """driver("whatsapp"): a customer on that platform; replies go through the fake."""

    def make(channel: str) -> Driver:
        return Driver(
            channel=channel,
            client=client,
            fake=fake_platforms,
            capture=django_capture_on_commit_callbacks,
        )

    return make
