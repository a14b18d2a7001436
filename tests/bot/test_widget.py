"""The chat page behind the widget: a host page the settings do not allow gets an
explanation it may frame, never the chat."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unlisted_host_gets_the_hint_which_any_site_may_frame(client, settings, policies):
    settings.CHAT_WIDGET_ORIGINS = []

    response = client.get("/chat/?embed=1&host=https://shop.example&language=en")

    page = response.content.decode()
    assert "CHAT_WIDGET_ORIGINS=https://shop.example" in page
    assert 'id="consent-panel"' not in page and "chat.js" not in page
    assert "frame-ancestors *" in response["Content-Security-Policy"]


def test_a_listed_host_gets_the_chat_framed_only_by_the_listed_origins(client, settings, policies):
    settings.CHAT_WIDGET_ORIGINS = ["https://shop.example"]

    response = client.get("/chat/?embed=1&host=https://shop.example")

    assert 'id="consent-panel"' in response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://shop.example" in policy


def test_a_host_that_is_not_an_origin_is_not_named_back(client, settings, policies):
    settings.CHAT_WIDGET_ORIGINS = []

    page = client.get("/chat/?embed=1&host=javascript:alert(1)").content.decode()

    assert "alert(1)" not in page and "CHAT_WIDGET_ORIGINS" in page
