"""The webhooks' security and parsing: verified before parsed, refused with the right
status, redeliveries and replays processed at most once."""

import json
import time

import pytest
from django.urls import reverse

from bot.models import ChannelIdentity, ChannelInboundEvent, Conversation
from tests.bot.channels.conftest import ACCOUNTS, CHANNELS, VERIFY_TOKEN

pytestmark = pytest.mark.django_db

META = ["whatsapp", "messenger"]


@pytest.fixture
def customer(driver, active_channel, policies):
    def make(channel: str):
        active_channel(channel)
        return driver(channel)

    return make


def nothing_stored() -> bool:
    return not ChannelIdentity.objects.exists() and not ChannelInboundEvent.objects.exists()


# Verification ------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_correctly_signed_request_is_accepted(channel, customer):
    platform = customer(channel)

    response = platform.post(platform.payload("Hallo"))

    assert response.status_code == 200
    assert ChannelIdentity.objects.count() == 1


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_wrong_secret_or_signature_is_refused_with_403(channel, customer):
    platform = customer(channel)
    body = json.dumps(platform.payload("Hallo")).encode()

    response = platform.post_raw(body, headers=platform.headers(body, secret="not-the-secret"))

    assert response.status_code == 403
    assert nothing_stored()
    assert platform.replies() == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_missing_secret_or_signature_is_refused_with_403(channel, customer):
    platform = customer(channel)

    response = platform.post_raw(json.dumps(platform.payload("Hallo")).encode(), headers={})

    assert response.status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize("channel", META)
def test_a_body_changed_after_signing_is_refused(channel, customer):
    platform = customer(channel)
    body = json.dumps(platform.payload("Hallo")).encode()
    headers = platform.headers(body)

    response = platform.post_raw(body.replace(b"Hallo", b"Hallx"), headers=headers)

    assert response.status_code == 403


@pytest.mark.parametrize("channel", META)
def test_a_signature_in_the_wrong_format_is_refused(channel, customer):
    platform = customer(channel)
    body = json.dumps(platform.payload("Hallo")).encode()
    digest = platform.headers(body)["X-Hub-Signature-256"].removeprefix("sha256=")

    response = platform.post_raw(body, headers={"X-Hub-Signature-256": digest})

    assert response.status_code == 403


@pytest.mark.parametrize("channel", META)
def test_an_invalid_body_is_refused_before_parsing_when_unsigned(channel, customer):
    platform = customer(channel)

    response = platform.post_raw(b"{not json", headers={"X-Hub-Signature-256": "sha256=00"})

    assert response.status_code == 403


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_inactive_channel_has_no_webhook(channel, client, policies):
    url = reverse("bot_channels:webhook", args=[channel])

    assert client.post(url, data=b"{}", content_type="application/json").status_code == 404
    assert client.get(url).status_code == 404


def test_an_unknown_channel_has_no_webhook(client, db):
    response = client.post("/channels/signal/webhook/", data=b"{}", content_type="application/json")

    assert response.status_code == 404


def test_the_webhook_needs_no_csrf_token(customer, settings):
    from django.test import Client

    platform = customer("telegram")
    platform.client = Client(enforce_csrf_checks=True)

    assert platform.post(platform.payload("Hallo")).status_code == 200


# Meta's verification handshake -------------------------------------------------------------


@pytest.mark.parametrize("channel", META)
def test_the_handshake_answers_the_challenge_for_our_verify_token(channel, customer, client):
    platform = customer(channel)

    response = client.get(
        platform.url,
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )

    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("channel", META)
@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
    ],
    ids=["wrong-token", "wrong-mode", "no-token"],
)
def test_the_handshake_refuses_anything_else(channel, params, customer, client):
    response = client.get(customer(channel).url, params)

    assert response.status_code == 403


def test_a_challenge_that_is_not_a_token_is_not_echoed(customer, client):
    response = client.get(
        customer("whatsapp").url,
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "<script>"},
    )

    assert response.status_code == 400


def test_telegram_has_no_handshake(customer, client):
    assert client.get(customer("telegram").url).status_code == 405


# Malformed and oversize ----------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_malformed_json_is_refused_with_400(channel, customer):
    platform = customer(channel)
    body = b'{"update_id": 1, "message": '

    assert platform.post_raw(body).status_code == 400
    assert nothing_stored()


@pytest.mark.parametrize(
    ("channel", "payload"),
    [
        ("telegram", {"message": {"text": "no update id"}}),
        ("telegram", [1, 2, 3]),
        ("whatsapp", {"object": "whatsapp_business_account", "entry": {"not": "a list"}}),
        (
            "whatsapp",
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "metadata": {"phone_number_id": ACCOUNTS["whatsapp"]},
                                    "messages": [{"type": "text", "text": {"body": "no sender"}}],
                                },
                            }
                        ]
                    }
                ],
            },
        ),
        ("messenger", {"object": "page", "entry": [{"id": ACCOUNTS["messenger"], "messaging": 5}]}),
    ],
    ids=["telegram-no-update-id", "telegram-list", "whatsapp-entry", "whatsapp-no-from", "fb-list"],
)
def test_a_body_not_in_the_platform_format_is_refused_with_400(channel, payload, customer):
    assert customer(channel).post(payload).status_code == 400
    assert nothing_stored()


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_oversize_body_is_refused_with_413(channel, customer, settings):
    settings.CHANNELS_WEBHOOK_MAX_BYTES = 2048
    platform = customer(channel)

    response = platform.post(platform.payload("x" * 3000))

    assert response.status_code == 413
    assert nothing_stored()


# Redeliveries, replays, other senders --------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_redelivered_message_is_acknowledged_and_processed_once(channel, customer):
    platform = customer(channel)
    payload = platform.payload("Hallo")

    first = platform.post(payload)
    again = platform.post(payload)

    assert (first.status_code, again.status_code) == (200, 200)
    assert len(platform.replies()) == 1
    assert ChannelInboundEvent.objects.count() == 1


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_replayed_old_message_is_acknowledged_but_not_processed(channel, customer, settings):
    settings.CHANNELS_REPLAY_WINDOW_HOURS = 1
    platform = customer(channel)

    response = platform.post(platform.payload("Hallo", sent_at=time.time() - 2 * 3600))

    assert response.status_code == 200
    assert platform.replies() == []
    assert nothing_stored()


def test_a_redelivered_consent_answer_is_not_applied_twice(customer):
    platform = customer("whatsapp")
    platform.say("Hallo")
    yes = platform.payload("JA")

    platform.post(yes)
    platform.post(yes)

    assert Conversation.objects.count() == 1
    assert len(platform.replies()) == 2


def test_telegram_group_chats_and_bots_are_ignored(customer):
    platform = customer("telegram")
    group = platform.payload("Hallo")
    group["message"]["chat"] = {"id": -100123, "title": "Shop fans", "type": "supergroup"}
    bot = platform.payload("Hallo")
    bot["message"]["from"]["is_bot"] = True

    assert platform.post(group).status_code == 200
    assert platform.post(bot).status_code == 200
    assert platform.replies() == []
    assert not ChannelIdentity.objects.exists()


def test_telegram_updates_other_than_messages_are_acknowledged(customer):
    platform = customer("telegram")
    edited = platform.payload("Hallo")
    edited["edited_message"] = edited.pop("message")

    assert platform.post(edited).status_code == 200
    assert platform.replies() == []


@pytest.mark.parametrize("channel", META)
def test_messages_to_another_number_or_page_are_ignored(channel, customer):
    platform = customer(channel)
    payload = platform.payload("Hallo")
    if channel == "whatsapp":
        payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    else:
        payload["entry"][0]["id"] = "999"

    assert platform.post(payload).status_code == 200
    assert platform.replies() == []
    assert not ChannelIdentity.objects.exists()


def test_messenger_echoes_of_our_own_messages_are_ignored(customer):
    platform = customer("messenger")
    echo = platform.payload("Wie kann ich helfen?")
    echo["entry"][0]["messaging"][0]["message"]["is_echo"] = True

    assert platform.post(echo).status_code == 200
    assert platform.replies() == []


def test_a_notification_of_another_meta_product_is_acknowledged(customer):
    platform = customer("whatsapp")

    assert platform.post({"object": "instagram", "entry": []}).status_code == 200
    assert nothing_stored()


def test_a_message_a_chat_verb_refuses_is_acknowledged_not_redelivered(customer, monkeypatch):
    from bot import chat

    platform = customer("telegram")

    def refuse(**kwargs):
        raise chat.ChatError("consent required", code="consent_required")

    monkeypatch.setattr(chat, "chat_consent_give", refuse)
    platform.say("Hallo")

    response = platform.post(platform.payload("JA"))

    assert response.status_code == 200
    assert ChannelInboundEvent.objects.count() == 2
    assert not Conversation.objects.exists()


def test_an_unexpected_error_answers_500_so_the_platform_redelivers(customer, monkeypatch):
    from bot.channels import services

    platform = customer("whatsapp")
    payload = platform.payload("Hallo")

    def broken(config, inbound):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_inbound_process", broken)
    platform.client.raise_request_exception = False
    response = platform.post(payload)
    monkeypatch.undo()

    assert response.status_code == 500
    assert not ChannelInboundEvent.objects.exists()
    assert platform.post(payload).status_code == 200
    assert len(platform.replies()) == 1


# Text PostgreSQL refuses: stripped, because the platform would redeliver a refusal -------


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_message_with_nul_or_lone_surrogates_is_stored_stripped_and_answered(
    channel, customer, knowledge_base, queue
):
    platform = customer(channel)
    for text in ("Hallo", "JA", "Erika Mustermann", "erika@example.org"):
        platform.say(text)

    response = platform.say("Wo ist\x00 mein Paket? \ud800")

    assert response.status_code == 200
    from bot.models import Message

    stored = Message.objects.filter(sender="customer").order_by("-id").first()
    assert stored.text == "Wo ist mein Paket? \ufffd"
