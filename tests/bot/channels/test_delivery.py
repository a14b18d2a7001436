"""Outgoing messages: at most once, retried with backoff on 429/5xx (Retry-After
honoured), the platforms' reply windows, rate limits, order, and the status the agent
sees."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.urls import reverse
from django.utils import timezone

from bot.channels import delivery as delivery_module
from bot.channels.delivery import (
    Attempt,
    backoff_seconds,
    delivery_attempt,
    text_parts,
)
from bot.channels.selectors import identity_index
from bot.channels.services import channel_config_deactivate
from bot.channels.tasks import delivery_send_task
from bot.chat import conversation_escalate
from bot.models import ChannelConversation, ChannelDelivery, ChannelIdentity, Message
from bot.services import message_append
from platform_core.http_client import retry_after_parse
from staff import roles
from tests.bot.channels.conftest import CHANNELS, CUSTOMERS
from tests.bot.channels.fakes import graph_error, telegram_error
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(fake_platforms, active_channel):
    """linked("whatsapp", wrote_ago=…): an active channel and a conversation with a customer
    whose last message was `wrote_ago` ago."""

    def make(channel: str, *, wrote_ago=timedelta(minutes=5), **config):
        active_channel(channel, **config)
        identity = ChannelIdentity.objects.create(
            channel=channel,
            external_id_index=identity_index(channel=channel, external_id=CUSTOMERS[channel]),
            external_id=CUSTOMERS[channel],
            last_inbound_at=timezone.now() - wrote_ago,
        )
        conversation = ConversationFactory(channel=channel)
        ChannelConversation.objects.create(conversation=conversation, identity=identity)
        return conversation

    return make


def reply(conversation, text="Ihr Paket ist unterwegs.", sender="agent") -> ChannelDelivery:
    """A message of the conversation; its delivery is queued (not yet attempted)."""
    message = message_append(conversation=conversation, sender=sender, text=text)[0]
    return ChannelDelivery.objects.get(message=message)


def refreshed(delivery: ChannelDelivery) -> ChannelDelivery:
    return ChannelDelivery.objects.get(pk=delivery.pk)


# At most once --------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_delivery_is_sent_once_even_when_the_task_runs_twice(channel, linked, fake_platforms):
    delivery = reply(linked(channel))

    assert delivery_attempt(delivery_id=delivery.pk) == Attempt()
    assert delivery_attempt(delivery_id=delivery.pk) == Attempt()

    assert fake_platforms.texts(channel) == ["Ihr Paket ist unterwegs."]
    delivery = refreshed(delivery)
    assert delivery.status == ChannelDelivery.Status.SENT
    assert delivery.attempts == 1 and delivery.sent_at is not None


def test_a_web_conversation_gets_no_delivery(db):
    conversation = ConversationFactory(channel="web")

    message = message_append(conversation=conversation, sender="bot", text="Hallo")[0]

    assert not ChannelDelivery.objects.filter(message=message).exists()


def test_customer_messages_are_not_delivered(linked):
    conversation = linked("telegram")

    message_append(conversation=conversation, sender="customer", text="Hallo")

    assert not ChannelDelivery.objects.exists()


def test_a_fresh_claim_of_another_worker_is_left_alone(linked, fake_platforms):
    delivery = reply(linked("telegram"))
    ChannelDelivery.objects.filter(pk=delivery.pk).update(
        status=ChannelDelivery.Status.SENDING, claimed_at=timezone.now()
    )

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.waited and attempt.retry_in > 0
    assert fake_platforms.requests == []


def test_a_stale_claim_of_a_dead_worker_is_taken_over(linked, fake_platforms):
    delivery = reply(linked("telegram"))
    ChannelDelivery.objects.filter(pk=delivery.pk).update(
        status=ChannelDelivery.Status.SENDING,
        claimed_at=timezone.now() - timedelta(seconds=delivery_module.CLAIM_STALE_SECONDS + 1),
    )

    delivery_attempt(delivery_id=delivery.pk)

    assert refreshed(delivery).status == ChannelDelivery.Status.SENT


# Retries -------------------------------------------------------------------------------------


def test_telegram_429_is_retried_after_its_retry_after(linked, fake_platforms):
    delivery = reply(linked("telegram"))
    fake_platforms.answer_next(
        "telegram", 429, telegram_error(429, "Too Many Requests: retry after 7", retry_after=7)
    )

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt == Attempt(retry_in=7)
    delivery = refreshed(delivery)
    assert delivery.status == ChannelDelivery.Status.RETRYING
    assert delivery.error_code == "429"
    assert timedelta(seconds=6) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=7)
    delivery_attempt(delivery_id=delivery.pk)
    assert refreshed(delivery).status == ChannelDelivery.Status.SENT
    assert fake_platforms.texts("telegram") == ["Ihr Paket ist unterwegs."]


@pytest.mark.parametrize("channel", ["whatsapp", "messenger"])
def test_a_graph_429_honours_the_retry_after_header(channel, linked, fake_platforms):
    delivery = reply(linked(channel))
    fake_platforms.answer_next(
        channel, 429, graph_error(130429, "Rate limit hit"), headers={"Retry-After": "3"}
    )

    assert delivery_attempt(delivery_id=delivery.pk) == Attempt(retry_in=3)


def test_whatsapp_throughput_errors_are_retried_like_a_429(linked, fake_platforms):
    delivery = reply(linked("whatsapp"))
    fake_platforms.answer_next("whatsapp", 400, graph_error(131056, "(#131056) Pair rate limit"))

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.retry_in == backoff_seconds(attempts=1)
    assert refreshed(delivery).status == ChannelDelivery.Status.RETRYING


@pytest.mark.parametrize("channel", CHANNELS)
def test_server_errors_back_off_exponentially(channel, linked, fake_platforms, settings):
    settings.CHANNELS_DELIVERY_BACKOFF_SECONDS = 2
    delivery = reply(linked(channel))
    for _ in range(3):
        fake_platforms.answer_next(channel, 503, {"error": {"message": "Service unavailable"}})

    waits = [delivery_attempt(delivery_id=delivery.pk).retry_in for _ in range(3)]

    assert waits == [2, 4, 8]
    delivery_attempt(delivery_id=delivery.pk)
    assert refreshed(delivery).status == ChannelDelivery.Status.SENT


def test_the_backoff_has_a_ceiling(settings):
    settings.CHANNELS_DELIVERY_BACKOFF_SECONDS = 2
    settings.CHANNELS_DELIVERY_BACKOFF_MAX_SECONDS = 60

    assert backoff_seconds(attempts=10) == 60
    assert backoff_seconds(attempts=10, retry_after=120) == 120


def test_after_the_last_attempt_the_delivery_fails(linked, fake_platforms, settings):
    settings.CHANNELS_DELIVERY_MAX_ATTEMPTS = 2
    delivery = reply(linked("telegram"))
    for _ in range(2):
        fake_platforms.answer_next("telegram", 502, telegram_error(502, "Bad Gateway"))

    first = delivery_attempt(delivery_id=delivery.pk)
    second = delivery_attempt(delivery_id=delivery.pk)

    assert first.retry_in is not None and second == Attempt()
    delivery = refreshed(delivery)
    assert delivery.status == ChannelDelivery.Status.FAILED
    assert delivery.failure_reason == ChannelDelivery.Reason.GAVE_UP


def test_the_task_retries_with_the_computed_countdown(linked, fake_platforms):
    delivery = reply(linked("telegram"))
    fake_platforms.answer_next(
        "telegram", 429, telegram_error(429, "Too Many Requests: retry after 7", retry_after=7)
    )

    with mock.patch.object(delivery_send_task, "retry", side_effect=Retry()) as retry:
        with pytest.raises(Retry):
            delivery_send_task(delivery.pk)

    retry.assert_called_once_with(countdown=7)


def test_a_503_then_success_reaches_the_customer_once(linked, fake_platforms, celery_eager):
    delivery = reply(linked("whatsapp"))
    fake_platforms.answer_next("whatsapp", 503, {"error": {"message": "Service unavailable"}})

    delivery_send_task.apply(args=[delivery.pk])

    assert [r.status for r in fake_platforms.requests] == [503, 200]
    assert fake_platforms.texts("whatsapp") == ["Ihr Paket ist unterwegs."]
    assert refreshed(delivery).status == ChannelDelivery.Status.SENT


# Permanent refusals --------------------------------------------------------------------------


def test_a_revoked_token_fails_at_once(linked, fake_platforms):
    delivery = reply(linked("whatsapp", access_token="EAAGrevoked"))

    delivery_attempt(delivery_id=delivery.pk)

    delivery = refreshed(delivery)
    assert delivery.status == ChannelDelivery.Status.FAILED
    assert delivery.failure_reason == ChannelDelivery.Reason.CREDENTIALS
    assert delivery.error_code == "190" and delivery.attempts == 1


def test_a_customer_who_blocked_the_telegram_bot_is_unreachable(linked, fake_platforms):
    delivery = reply(linked("telegram"))
    fake_platforms.answer_next(
        "telegram", 403, telegram_error(403, "Forbidden: bot was blocked by the user")
    )

    delivery_attempt(delivery_id=delivery.pk)

    assert refreshed(delivery).failure_reason == ChannelDelivery.Reason.UNREACHABLE


def test_a_switched_off_channel_sends_nothing(linked, fake_platforms):
    conversation = linked("telegram")
    delivery = reply(conversation)
    from bot.models import ChannelConfig

    channel_config_deactivate(config=ChannelConfig.objects.get(), acting_user=None)

    delivery_attempt(delivery_id=delivery.pk)

    assert refreshed(delivery).failure_reason == ChannelDelivery.Reason.CHANNEL_INACTIVE
    assert fake_platforms.requests == []


# Reply windows -------------------------------------------------------------------------------


def test_whatsapp_outside_the_24_hour_window_sends_nothing_and_tells_the_agents(
    linked, fake_platforms, django_capture_on_commit_callbacks, monkeypatch
):
    pushed = []

    class Layer:
        async def group_send(self, group, message):
            pushed.append((group, message))

    monkeypatch.setattr("event_pipeline.outbox.get_channel_layer", lambda: Layer())
    conversation = linked("whatsapp", wrote_ago=timedelta(hours=25))
    delivery = reply(conversation)

    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery_id=delivery.pk)

    assert fake_platforms.requests == []
    delivery = refreshed(delivery)
    assert delivery.status == ChannelDelivery.Status.FAILED
    assert delivery.failure_reason == ChannelDelivery.Reason.WINDOW_CLOSED
    group, message = pushed[0]
    assert group == f"conversation_{conversation.public_id.hex}"
    assert message["payload"]["type"] == "delivery"
    assert message["payload"]["reason"] == "window_closed"
    assert message["payload"]["seq"] == delivery.message.seq


def test_whatsapp_within_the_window_is_sent(linked, fake_platforms):
    delivery = reply(linked("whatsapp", wrote_ago=timedelta(hours=23)))

    delivery_attempt(delivery_id=delivery.pk)

    assert refreshed(delivery).status == ChannelDelivery.Status.SENT


def test_whatsapps_own_window_refusal_is_recorded_as_such(linked, fake_platforms):
    delivery = reply(linked("whatsapp"))
    fake_platforms.answer_next(
        "whatsapp",
        400,
        graph_error(131047, "Re-engagement message", details="More than 24 hours have passed"),
    )

    delivery_attempt(delivery_id=delivery.pk)

    assert refreshed(delivery).failure_reason == ChannelDelivery.Reason.WINDOW_CLOSED


def test_telegram_has_no_reply_window(linked, fake_platforms):
    delivery = reply(linked("telegram", wrote_ago=timedelta(days=30)))

    delivery_attempt(delivery_id=delivery.pk)

    assert refreshed(delivery).status == ChannelDelivery.Status.SENT


def test_messenger_agents_answer_after_24_hours_with_the_human_agent_tag(linked, fake_platforms):
    delivery = reply(linked("messenger", wrote_ago=timedelta(days=3), human_agent_tag=True))

    delivery_attempt(delivery_id=delivery.pk)

    body = fake_platforms.sent("messenger")[0].body
    assert body["messaging_type"] == "MESSAGE_TAG" and body["tag"] == "HUMAN_AGENT"


def test_messenger_within_24_hours_is_a_plain_response(linked, fake_platforms):
    delivery = reply(linked("messenger", human_agent_tag=True))

    delivery_attempt(delivery_id=delivery.pk)

    body = fake_platforms.sent("messenger")[0].body
    assert body == {
        "recipient": {"id": CUSTOMERS["messenger"]},
        "messaging_type": "RESPONSE",
        "message": {"text": "Ihr Paket ist unterwegs."},
    }


@pytest.mark.parametrize(
    ("human_agent_tag", "sender"), [(False, "agent"), (True, "bot")], ids=["no-permission", "bot"]
)
def test_messenger_after_24_hours_without_the_tag_is_not_sent(
    human_agent_tag, sender, linked, fake_platforms
):
    conversation = linked("messenger", wrote_ago=timedelta(days=2), human_agent_tag=human_agent_tag)
    delivery = reply(conversation, sender=sender)

    delivery_attempt(delivery_id=delivery.pk)

    assert refreshed(delivery).failure_reason == ChannelDelivery.Reason.WINDOW_CLOSED
    assert fake_platforms.requests == []


def test_the_conversation_page_shows_the_delivery_status_and_the_closed_window(
    linked, fake_platforms, client
):
    conversation = linked("whatsapp", wrote_ago=timedelta(hours=30))
    conversation_escalate(conversation=conversation, reason="customer_request")
    delivery = reply(conversation)
    delivery_attempt(delivery_id=delivery.pk)
    client.force_login(UserFactory(role=roles.SUPERVISOR))

    page = client.get(reverse("agents:conversation", args=[conversation.public_id]))

    html = page.content.decode()
    assert 'data-delivery-status="failed"' in html
    assert str(ChannelDelivery.Reason.WINDOW_CLOSED.label) in html
    assert 'id="reply-window-closed"' in html


# Parts, order, rate --------------------------------------------------------------------------


def test_a_long_text_goes_out_in_parts_in_order(linked, fake_platforms):
    text = " ".join(f"Wort{n}" for n in range(900))  # about 6,000 characters
    delivery = reply(linked("messenger"), text=text)

    delivery_attempt(delivery_id=delivery.pk)

    parts = fake_platforms.texts("messenger")
    assert len(parts) == 4 and all(len(part) <= 2000 for part in parts)
    assert " ".join(parts) == text
    assert refreshed(delivery).parts_sent == 4


def test_a_retry_resumes_after_the_parts_already_sent(linked, fake_platforms):
    text = " ".join(f"Wort{n}" for n in range(450))
    delivery = reply(linked("messenger"), text=text)
    fake_platforms.answer_next("messenger", 500, {"error": {"code": 2}}, skip=1)

    delivery_attempt(delivery_id=delivery.pk)
    delivery_attempt(delivery_id=delivery.pk)

    assert " ".join(fake_platforms.texts("messenger")) == text
    assert refreshed(delivery).parts_sent == 2


def test_text_parts_split_at_whitespace():
    assert text_parts("aaa bbb ccc", limit=7) == ["aaa bbb", "ccc"]
    assert text_parts("x" * 10, limit=4) == ["xxxx", "xxxx", "xx"]


def test_a_later_message_waits_for_an_earlier_one(linked, fake_platforms):
    conversation = linked("telegram")
    reply(conversation, text="erste")
    second = reply(conversation, text="zweite")

    attempt = delivery_attempt(delivery_id=second.pk)

    assert attempt.waited and attempt.retry_in == delivery_module.WAIT_SECONDS
    assert fake_platforms.requests == []


def test_a_message_waits_no_longer_than_the_wait_limit(linked, fake_platforms):
    conversation = linked("telegram")
    reply(conversation, text="erste")
    second = reply(conversation, text="zweite")

    delivery_attempt(delivery_id=second.pk, waits=delivery_module.WAIT_MAX)

    assert fake_platforms.texts("telegram") == ["zweite"]


def test_the_platform_rate_limit_holds_messages_back(linked, fake_platforms, settings):
    settings.CHANNELS_RATE_PER_SECOND = {"telegram": 1}
    conversation = linked("telegram")
    first = reply(conversation, text="erste")
    second = reply(conversation, text="zweite")
    second_now = float(int(datetime.now(UTC).timestamp()))

    with mock.patch.object(delivery_module.time, "time", return_value=second_now):
        delivery_attempt(delivery_id=first.pk)
        attempt = delivery_attempt(delivery_id=second.pk)

    assert attempt.waited
    assert fake_platforms.texts("telegram") == ["erste"]


# Task arguments ------------------------------------------------------------------------------


def test_task_arguments_are_ids_only(driver, active_channel, policies, knowledge_base):
    active_channel("telegram")
    customer = driver("telegram")
    sent = []
    original = delivery_send_task.apply_async

    def record(args=None, kwargs=None, **options):
        sent.append((args, kwargs))
        return original(args=args, kwargs=kwargs, **options)

    with mock.patch.object(delivery_send_task, "apply_async", side_effect=record):
        customer.say("Hallo")
        customer.say("JA")
        customer.say("Erika Mustermann")

    assert sent
    for args, kwargs in sent:
        assert all(isinstance(value, int) for value in (*(args or ()), *(kwargs or {}).values()))


# Status news from the platforms ---------------------------------------------------------------


def whatsapp_statuses(platform_id: str, status: str, error_code=None) -> dict:
    entry = {"id": platform_id, "status": status, "timestamp": "1764000000", "recipient_id": "49"}
    if error_code:
        entry["errors"] = [{"code": error_code, "title": "Re-engagement message"}]
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
                            "metadata": {"phone_number_id": "106540352242922"},
                            "statuses": [entry],
                        },
                    }
                ],
            }
        ],
    }


def test_whatsapp_delivered_and_read_receipts_move_the_status_forward(
    linked, fake_platforms, driver
):
    delivery = reply(linked("whatsapp"))
    delivery_attempt(delivery_id=delivery.pk)
    wamid = fake_platforms.sent("whatsapp")[0].answer_id
    whatsapp = driver("whatsapp")

    whatsapp.post(whatsapp_statuses(wamid, "read"))
    whatsapp.post(whatsapp_statuses(wamid, "delivered"))

    assert refreshed(delivery).status == ChannelDelivery.Status.READ


def test_a_whatsapp_failure_status_is_shown_to_the_agent(linked, fake_platforms, driver):
    delivery = reply(linked("whatsapp"))
    delivery_attempt(delivery_id=delivery.pk)
    wamid = fake_platforms.sent("whatsapp")[0].answer_id
    whatsapp = driver("whatsapp")

    whatsapp.post(whatsapp_statuses(wamid, "failed", error_code=131047))

    delivery = refreshed(delivery)
    assert delivery.status == ChannelDelivery.Status.FAILED
    assert delivery.failure_reason == ChannelDelivery.Reason.WINDOW_CLOSED


def test_messenger_delivery_receipts_mark_messages_delivered(linked, fake_platforms, driver):
    delivery = reply(linked("messenger"))
    delivery_attempt(delivery_id=delivery.pk)
    mid = fake_platforms.sent("messenger")[0].answer_id
    messenger = driver("messenger")
    receipt = messenger.payload("x")
    event = receipt["entry"][0]["messaging"][0]
    del event["message"]
    event["delivery"] = {"mids": [mid], "watermark": 1764000000000}

    assert messenger.post(receipt).status_code == 200
    assert refreshed(delivery).status == ChannelDelivery.Status.DELIVERED


# Helpers -------------------------------------------------------------------------------------


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)

    assert retry_after_parse("7") == 7
    assert retry_after_parse("Fri, 27 Nov 2026 12:00:30 GMT", now=now) == 30
    assert retry_after_parse("soon") is None
    assert retry_after_parse(None) is None


def test_only_agent_bot_and_system_messages_are_queued(linked):
    conversation = linked("telegram")

    for sender in ("bot", "agent", "system"):
        message_append(conversation=conversation, sender=sender, text=sender)

    senders = set(ChannelDelivery.objects.values_list("message__sender", flat=True))
    assert senders == {"bot", "agent", "system"}
    assert Message.objects.count() == 3
