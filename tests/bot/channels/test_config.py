"""Channel configuration: activation only with a processing agreement, credentials
write-only in the admin, the active channels for the privacy dashboard."""

import pytest
from django.urls import reverse

from bot.channels.selectors import channels_active
from bot.channels.services import (
    ChannelError,
    channel_config_activate,
    channel_config_deactivate,
    telegram_webhook_register,
)
from bot.models import ChannelConfig
from privacy.models import AuditEvent, ProcessingAgreement
from tests.bot.channels.conftest import (
    CHANNELS,
    TELEGRAM_SECRET,
    TOKENS,
    agreement_create,
    config_create,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_channel_without_an_agreement_cannot_be_activated(channel):
    config = config_create(channel)

    with pytest.raises(ChannelError) as refused:
        channel_config_activate(config=config, acting_user=None)

    assert refused.value.code == "agreement_missing"
    assert not ChannelConfig.objects.get().is_active


@pytest.mark.parametrize(
    "status", [ProcessingAgreement.Status.DRAFT, ProcessingAgreement.Status.TERMINATED]
)
def test_an_agreement_that_is_not_active_does_not_count(status):
    agreement_create("whatsapp", status=status)
    config = config_create("whatsapp")

    with pytest.raises(ChannelError):
        channel_config_activate(config=config, acting_user=None)


def test_an_agreement_with_the_processor_of_another_channel_does_not_count():
    agreement_create("telegram")
    config = config_create("whatsapp")

    with pytest.raises(ChannelError):
        channel_config_activate(config=config, acting_user=None)


def test_a_channel_without_its_credentials_cannot_be_activated():
    agreement_create("whatsapp")
    config = config_create("whatsapp", app_secret="")

    with pytest.raises(ChannelError) as refused:
        channel_config_activate(config=config, acting_user=None)

    assert refused.value.code == "credentials_missing"


def test_activation_with_an_agreement_is_audited(agent):
    agreement_create("messenger")
    config = config_create("messenger")

    config = channel_config_activate(config=config, acting_user=agent)

    assert config.is_active and config.activated_at is not None
    event = AuditEvent.objects.get(action="channel.activated")
    assert event.acting_user == agent and event.details == {"channel": "messenger"}


def test_telegram_gets_a_webhook_secret_on_activation_when_none_was_set():
    agreement_create("telegram")
    config = config_create("telegram", webhook_secret="")

    config = channel_config_activate(config=config, acting_user=None)

    assert len(config.webhook_secret) >= 32


def test_deactivation_closes_the_webhook(active_channel, client):
    config = active_channel("telegram")

    channel_config_deactivate(config=config, acting_user=None)

    url = reverse("bot_channels:webhook", args=["telegram"])
    assert client.post(url, data=b"{}", content_type="application/json").status_code == 404
    assert AuditEvent.objects.filter(action="channel.deactivated").exists()


def test_the_active_channels_are_the_website_and_every_active_messenger(active_channel):
    active_channel("whatsapp")
    config_create("telegram")

    assert channels_active() == ["web", "whatsapp"]


def test_telegram_is_told_where_the_webhook_is(active_channel, fake_platforms, settings):
    settings.SITE_URL = "https://support.example.org"
    config = active_channel("telegram")

    url = telegram_webhook_register(config=config)

    assert url == "https://support.example.org/channels/telegram/webhook/"
    (request,) = fake_platforms.requests
    assert request.path == f"/telegram/bot{TOKENS['telegram']}/setWebhook"
    assert request.body == {
        "url": url,
        "secret_token": TELEGRAM_SECRET,
        "allowed_updates": ["message"],
    }


def test_a_webhook_telegram_refuses_is_reported(active_channel, fake_platforms):
    config = active_channel("telegram", access_token="123:wrong")

    with pytest.raises(ChannelError) as refused:
        telegram_webhook_register(config=config)

    assert refused.value.code == "webhook_refused"


# Admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    return client


def test_the_admin_never_shows_a_stored_credential(admin_client):
    config = config_create("whatsapp")

    page = admin_client.get(reverse("admin:bot_channelconfig_change", args=[config.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    for secret in (TOKENS["whatsapp"], config.app_secret, config.verify_token):
        assert secret not in html


def test_saving_the_admin_form_with_empty_credentials_keeps_them(admin_client):
    config = config_create("whatsapp")
    url = reverse("admin:bot_channelconfig_change", args=[config.pk])

    response = admin_client.post(
        url,
        {
            "access_token": "",
            "app_secret": "",
            "verify_token": "new-verify-token",
            "webhook_secret": "",
            "account_id": "106540352242922",
        },
    )

    assert response.status_code == 302
    config.refresh_from_db()
    assert config.access_token == TOKENS["whatsapp"]
    assert config.verify_token == "new-verify-token"
    event = AuditEvent.objects.get(action="channel.changed")
    assert event.details["fields"] == ["verify_token"]
    assert "new-verify-token" not in str(event.details)


def test_the_admin_action_refuses_activation_without_an_agreement(admin_client):
    config = config_create("telegram")

    response = admin_client.post(
        reverse("admin:bot_channelconfig_changelist"),
        {"action": "activate", "_selected_action": [config.pk]},
        follow=True,
    )

    assert "Art. 28" in response.content.decode()
    assert not ChannelConfig.objects.get().is_active


def test_the_admin_action_activates_with_an_agreement(admin_client):
    agreement_create("telegram")
    config = config_create("telegram")

    admin_client.post(
        reverse("admin:bot_channelconfig_changelist"),
        {"action": "activate", "_selected_action": [config.pk]},
    )

    assert ChannelConfig.objects.get().is_active


def test_privacy_finds_the_active_channels_through_its_registry(active_channel):
    from privacy.registry import active_channels

    active_channel("telegram")

    assert active_channels() == ["telegram", "web"]
