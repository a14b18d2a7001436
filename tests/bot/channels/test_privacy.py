"""Personal data from the platforms: encrypted at rest, found by blind index, exported and
erased with the subject, forgotten when no longer needed, never in logs."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from agents.services import conversation_reply
from bot.channels.selectors import identity_find
from bot.channels.services import channels_housekeeping
from bot.models import (
    ChannelConfig,
    ChannelConversation,
    ChannelDelivery,
    ChannelIdentity,
    ChannelInboundEvent,
    Conversation,
    Message,
)
from privacy.models import RetentionPolicy
from privacy.registry import models_not_covered
from privacy.services import subject_erase, subject_export
from tests.bot.channels.conftest import (
    APP_SECRET,
    CHANNELS,
    CUSTOMERS,
    PROFILE_NAME,
    TELEGRAM_SECRET,
    TOKENS,
    VERIFY_TOKEN,
)
from tests.bot.channels.fakes import telegram_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def identified(driver, active_channel, policies, knowledge_base):
    """A customer who consented and gave name and email on `channel`."""

    def make(channel: str):
        active_channel(channel)
        platform = driver(channel)
        for text in ("Hallo", "JA", "Erika Mustermann", "erika@example.org"):
            platform.say(text)
        return platform

    return make


def raw_rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


# At rest ---------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_platform_ids_phone_numbers_and_names_are_encrypted_at_rest(channel, identified):
    identified(channel)

    stored = str(
        raw_rows(
            "SELECT external_id, phone, profile_name, external_id_index FROM bot_channelidentity"
        )
    )

    assert CUSTOMERS[channel] not in stored
    assert "Mustermann" not in stored
    identity = ChannelIdentity.objects.get()
    assert identity.external_id == CUSTOMERS[channel]


def test_the_identity_answers_in_progress_are_encrypted_at_rest(driver, active_channel, policies):
    active_channel("telegram")
    platform = driver("telegram")
    for text in ("Hallo", "JA", "Erika Mustermann"):
        platform.say(text)

    (draft,) = raw_rows("SELECT identity_draft FROM bot_channelconversation")[0]

    assert "Mustermann" not in draft
    assert "Mustermann" in ChannelConversation.objects.get().identity_draft


def test_credentials_are_encrypted_at_rest(active_channel):
    active_channel("whatsapp")
    active_channel("telegram")

    stored = str(
        raw_rows(
            "SELECT access_token, app_secret, verify_token, webhook_secret FROM bot_channelconfig"
        )
    )

    for secret in (*TOKENS.values(), APP_SECRET, VERIFY_TOKEN, TELEGRAM_SECRET):
        assert secret not in stored


def test_an_identity_is_found_by_its_blind_index_only(identified):
    identified("whatsapp")

    assert identity_find(channel="whatsapp", external_id=CUSTOMERS["whatsapp"]) is not None
    assert identity_find(channel="telegram", external_id=CUSTOMERS["whatsapp"]) is None


def test_the_channel_models_with_encrypted_fields_are_covered_by_a_provider():
    uncovered = set(models_not_covered())

    assert not uncovered & {ChannelIdentity, ChannelConversation, ChannelConfig}


# Export and erasure ------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_export_contains_the_messenger_identity(channel, identified, agent):
    identified(channel)
    subject = Conversation.objects.get().subject

    export = subject_export(subject=subject, acting_user=agent)

    (identity,) = export["data"]["bot.channels"]["identities"]
    assert identity["channel"] == channel
    assert identity["platform_user_id"] == CUSTOMERS[channel]
    if channel == "whatsapp":
        assert identity["profile_name"] == PROFILE_NAME
        assert identity["phone"] == f"+{CUSTOMERS[channel]}"


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_export_names_the_platform_as_a_recipient_and_when(channel, identified, agent):
    identified(channel)
    subject = Conversation.objects.get().subject
    last_sent = max(ChannelDelivery.objects.exclude(sent_at=None).values_list("sent_at", flat=True))

    export = subject_export(subject=subject, acting_user=agent)

    (platform,) = export["data"]["bot.channels"]["messenger_platforms"]
    assert platform["platform"] == channel
    assert platform["since"] and platform["last_sent_at"] == last_sent.isoformat()


@pytest.mark.parametrize("channel", CHANNELS)
def test_erasure_removes_the_identity_its_conversations_and_deliveries(channel, identified, agent):
    identified(channel)
    subject = Conversation.objects.get().subject

    counts = subject_erase(subject=subject, acting_user=agent, reason="Art. 17")

    assert counts["bot.channels"]["identities"] == 1
    assert not ChannelIdentity.objects.exists()
    assert not ChannelConversation.objects.exists()
    assert not Conversation.objects.exists()


def test_erasure_finds_an_identity_through_its_conversations(identified, agent):
    identified("telegram")
    ChannelIdentity.objects.update(subject=None)
    subject = Conversation.objects.get().subject

    subject_erase(subject=subject, acting_user=agent, reason="Art. 17")

    assert not ChannelIdentity.objects.exists()


# Forgetting --------------------------------------------------------------------------------


def test_an_unanswered_consent_question_is_forgotten_after_the_pending_time(
    driver, active_channel, policies, settings
):
    settings.CHANNELS_CONSENT_PENDING_HOURS = 72
    active_channel("whatsapp")
    driver("whatsapp").say("Hallo")

    kept = channels_housekeeping(now=timezone.now() + timedelta(hours=71))
    forgotten = channels_housekeeping(now=timezone.now() + timedelta(hours=73))

    assert kept["identities"] == 0 and forgotten["identities"] == 1
    assert not ChannelIdentity.objects.exists()


def test_processed_message_ids_are_forgotten_after_the_replay_window(
    driver, active_channel, policies, settings
):
    settings.CHANNELS_REPLAY_WINDOW_HOURS = 24
    active_channel("telegram")
    driver("telegram").say("Hallo")

    counts = channels_housekeeping(now=timezone.now() + timedelta(hours=25))

    assert counts["inbound_events"] == 1
    assert not ChannelInboundEvent.objects.exists()


def test_an_identity_with_a_conversation_is_kept(identified):
    identified("telegram")

    channels_housekeeping(now=timezone.now() + timedelta(days=3650))

    assert ChannelIdentity.objects.exists()


def test_an_identity_whose_conversations_were_purged_goes_with_the_idle_policy(identified):
    identified("telegram")
    RetentionPolicy.objects.update_or_create(
        category=RetentionPolicy.Category.SUBJECTS_IDLE,
        defaults={"duration_days": 30, "is_active": True},
    )
    Conversation.objects.all().delete()

    kept = channels_housekeeping(now=timezone.now() + timedelta(days=29))
    forgotten = channels_housekeeping(now=timezone.now() + timedelta(days=31))

    assert (kept["identities"], forgotten["identities"]) == (0, 1)


# Logs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_no_personal_data_or_credential_reaches_the_logs(
    channel, identified, agent, queue, caplog, fake_platforms
):
    caplog.set_level(logging.DEBUG)
    platform = identified(channel)
    platform.say("Meine Bestellung SD-4711-QX ist nicht angekommen, bitte helfen")
    platform.say("Ich möchte mit einem Mitarbeiter sprechen")
    fake_platforms.answer_next(channel, 429, telegram_error(429, "Too Many Requests", 1))
    fake_platforms.answer_next(channel, 401, telegram_error(401, "Unauthorized"))
    with platform.capture(execute=True):
        conversation_reply(
            conversation=Conversation.objects.get(), agent=agent, text="Ich prüfe das, Erika."
        )
    platform.send("photo")

    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    secrets = [*TOKENS.values(), APP_SECRET, VERIFY_TOKEN, TELEGRAM_SECRET]
    personal = [
        CUSTOMERS[channel],
        "Erika",
        "Mustermann",
        "erika@example.org",
        # Distinctive: a bare "4711" turns up in task ids and timings by chance.
        "SD-4711-QX",
        "Ich prüfe das",
    ]
    for value in secrets + personal:
        assert value not in logged
    assert "Channel delivery" in caplog.text  # the logs do say what happened


def test_the_channel_config_names_no_credential():
    config = ChannelConfig(channel="telegram", access_token=TOKENS["telegram"])

    assert TOKENS["telegram"] not in str(config) + repr(config)


def test_nothing_is_stored_for_a_non_text_message(identified):
    identified("messenger").send("voice")

    assert not Message.objects.exists()
