"""Safe links in bot answers: a small markdown subset (http(s) links, bold, lists) rendered
with everything else escaped in the chat page and widget, plain text with the address on
messengers; a hostile answer stays inert."""

import re

import pytest
from django.utils import timezone

from bot.consumers import _unstored_message_frame
from bot.dialog import Reply
from bot.models import Intent, IntentAnswer
from bot.services import message_append
from event_pipeline.events import message_frame
from platform_core.answer_markup import answer_html, answer_plain
from tests.bot.channels.conftest import (  # noqa: F401  (fixtures)
    active_channel,
    driver,
    fake_platforms,
)
from tests.factories import ConversationFactory

ANSWER = (
    "Ihre Bestellungen sehen Sie unter [Meine Bestellungen](https://shop.example/account/orders). "
    "**Wichtig:** bitte\n\n- Bestellnummer bereithalten\n- Rechnung aufheben"
)
HOSTILE = (
    '<script>alert(1)</script> <img src=x onerror="alert(2)"> '
    "[a](javascript:alert(3)) [b](JAVASCRIPT:alert(4)) [c](data:text/html;base64,PHNjcmlwdD4=) "
    '[d](//evil.example/x) [e](/account/orders) [f](https://ok.example/"onmouseover="alert(5)) '
    '![g](https://img.example/pixel.png) <a href="javascript:alert(6)">h</a>'
)


def test_links_bold_and_lists_are_rendered():
    html = answer_html(ANSWER)

    assert (
        '<a href="https://shop.example/account/orders" target="_blank" '
        'rel="noopener noreferrer nofollow">Meine Bestellungen</a>'
    ) in html
    assert "<strong>Wichtig:</strong>" in html
    assert "<ul>\n<li>Bestellnummer bereithalten</li>\n<li>Rechnung aufheben</li>\n</ul>" in html


def test_a_hostile_answer_stays_inert():
    html = answer_html(HOSTILE)

    # no element but the subset's: the customer's page never runs or loads anything
    tags = set(re.findall(r"<\s*([a-zA-Z]+)", html))
    assert tags <= {"p", "a", "strong", "em", "ul", "ol", "li", "br", "code"}
    assert "<script" not in html and "<img" not in html
    # only http(s) addresses become links; an attribute cannot be broken out of
    assert re.findall(r'href="([^"]*)"', html) == [
        "https://ok.example/%22onmouseover=%22alert(5)",
        "https://img.example/pixel.png",
    ]
    assert all(
        re.fullmatch(r'href="[^"<>]*" target="_blank" rel="noopener noreferrer nofollow"', attrs)
        for attrs in re.findall(r"<a ([^>]*)>", html)
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror=&quot;alert(2)&quot;" in html  # shown as text, no attribute


def test_messengers_get_plain_text_with_the_address():
    assert answer_plain(ANSWER) == (
        "Ihre Bestellungen sehen Sie unter Meine Bestellungen "
        "(https://shop.example/account/orders). Wichtig: bitte\n"
        "- Bestellnummer bereithalten\n"
        "- Rechnung aufheben"
    )
    assert answer_plain("1. eins\n2. zwei\n\n[https://a.example](https://a.example)") == (
        "1. eins\n2. zwei\nhttps://a.example"
    )


@pytest.mark.django_db
def test_the_chat_frame_of_a_bot_answer_carries_the_rendering_and_others_do_not():
    conversation = ConversationFactory()
    question, _ = message_append(conversation=conversation, sender="customer", text="**hi**")
    answer, _ = message_append(conversation=conversation, sender="bot", text=HOSTILE)

    assert "html" not in message_frame(question)
    assert message_frame(answer)["html"] == answer_html(HOSTILE)
    assert message_frame(answer)["text"] == HOSTILE
    greeting = _unstored_message_frame(Reply(text=ANSWER))
    assert greeting["html"] == answer_html(ANSWER)


@pytest.mark.django_db(transaction=True)
def test_a_messenger_gets_the_answer_as_plain_text_with_the_address(
    settings,
    policies,
    knowledge_base,
    driver,  # noqa: F811
    active_channel,  # noqa: F811
):
    settings.CHAT_IDENTITY_FIELDS = []
    IntentAnswer.objects.filter(intent__slug="shipping_costs", language="de").update(text=ANSWER)
    Intent.objects.filter(slug="shipping_costs").update(updated_at=timezone.now())
    active_channel("telegram")
    platform = driver("telegram")

    for text in ("Hallo", "JA", "Wie hoch sind die Versandkosten?"):
        platform.say(text)

    assert platform.last_reply() == answer_plain(ANSWER)
    assert "(https://shop.example/account/orders)" in platform.last_reply()


RELATIVE = (
    "Ihre Bestellungen: [Meine Bestellungen](/account/orders?tab=open) oder [x](//evil.example/x)"
)


def test_without_a_shop_address_a_relative_link_stays_text(settings):
    settings.SHOP_BASE_URL = ""

    assert "<a " not in answer_html(RELATIVE)
    assert "[Meine Bestellungen](/account/orders?tab=open)" in answer_html(RELATIVE)
    assert "(/account/orders?tab=open)" in answer_plain(RELATIVE)


@pytest.mark.parametrize("base", ["https://shop.example/de", "https://shop.example/de/"])
def test_a_relative_link_points_into_the_shop_on_the_web_and_on_messengers(settings, base):
    settings.SHOP_BASE_URL = base

    html = answer_html(RELATIVE)
    assert re.findall(r'href="([^"]*)"', html) == [
        "https://shop.example/de/account/orders?tab=open"
    ]
    assert 'target="_blank" rel="noopener noreferrer nofollow">Meine Bestellungen</a>' in html
    # protocol-relative is another site, never the shop's: still text
    assert "[x](//evil.example/x)" in html
    assert answer_plain(RELATIVE).startswith(
        "Ihre Bestellungen: Meine Bestellungen (https://shop.example/de/account/orders?tab=open)"
    )
    # the hostile answer gains nothing from the setting but the shop's own link
    assert re.findall(r'href="([^"]*)"', answer_html(HOSTILE)) == [
        "https://shop.example/de/account/orders",
        "https://ok.example/%22onmouseover=%22alert(5)",
        "https://img.example/pixel.png",
    ]


@pytest.mark.parametrize("base", ["javascript:alert(1)", "shop.example", "ftp://shop.example"])
def test_a_shop_address_that_is_no_http_address_is_ignored(settings, base):
    settings.SHOP_BASE_URL = base

    assert "<a " not in answer_html("[a](/account/orders)")


def test_a_shop_address_that_is_no_http_address_is_reported_at_start(settings):
    from bot.checks import check_shop_base_url

    settings.SHOP_BASE_URL = "shop.example"
    assert [message.id for message in check_shop_base_url()] == ["bot.W001"]
    settings.SHOP_BASE_URL = "https://shop.example"
    assert check_shop_base_url() == []
