"""The chat page's offer to get the team's answer by e-mail, in a real browser."""

import re

import pytest

from bot.models import FollowUp
from email_channel.models import Mailbox, MailThread
from tests.bot.test_chat_browser import browser_page, live_chat  # noqa: F401  (fixtures)
from tests.factories import QueueFactory
from tests.processes import ARTIFACTS


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_waiting_customer_leaves_an_address_for_the_answer(
    live_chat,  # noqa: F811
    browser_page,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    from playwright.sync_api import expect

    # The ORM in this test runs beside Playwright's event loop (its sync API): allowed
    # here, as the chat's own server runs in another process.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    Mailbox.objects.create(
        queue=QueueFactory(),
        address="support@shop.example",
        source=Mailbox.Source.MAILDIR,
        maildir_path=str(tmp_path / "Maildir"),
    )
    page = browser_page
    page.goto(f"{live_chat}/chat/")
    page.get_by_role("button", name="Ich stimme zu").click()
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#composer")).to_be_visible()
    expect(page.locator("#follow-up-form")).to_have_count(0)  # only while waiting

    page.locator("#escalate").click()
    form = page.locator("#follow-up-form")
    expect(form).to_be_visible()
    form.get_by_label("Ihre E-Mail-Adresse").fill("erika.neu@example.org")
    form.get_by_role("button", name="Antwort per E-Mail senden").click()
    expect(page.locator("#follow-up-error")).to_contain_text("Bitte stimmen Sie zu")
    # The one follow-up's other choice: a call back, on the follow-up form.
    call_back = form.get_by_role("link", name="Hier um einen Rückruf bitten")
    expect(call_back).to_be_visible()
    expect(call_back).to_have_attribute("href", re.compile(r"/chat/follow-up/[^/]+/\?language=de$"))
    page.screenshot(path=ARTIFACTS / "chat-follow-up-offer.png", full_page=True)
    form.get_by_label("Ich bin einverstanden").check()
    form.get_by_role("button", name="Antwort per E-Mail senden").click()

    expect(page.locator("#follow-up-done")).to_be_visible()
    expect(form).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "chat-follow-up-email.png", full_page=True)
    assert MailThread.objects.get().customer_address == "erika.neu@example.org"
    follow_up = FollowUp.objects.get()  # the task in the inbox, as the form makes it
    assert (follow_up.method, follow_up.contact) == ("email", "erika.neu@example.org")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_a_mailbox_a_waiting_customer_is_offered_a_call_back(
    live_chat,  # noqa: F811
    browser_page,  # noqa: F811
):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_chat}/chat/")
    page.get_by_role("button", name="Ich stimme zu").click()
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#composer")).to_be_visible()

    page.locator("#escalate").click()
    offer = page.get_by_role("region", name="Rückruf erhalten")
    expect(offer).to_be_visible()
    call_back = offer.get_by_role("link", name="Um einen Rückruf bitten")
    expect(call_back).to_have_attribute("href", re.compile(r"/chat/follow-up/[^/]+/\?language=de$"))
    expect(page.locator("#follow-up-form")).to_have_count(0)  # no mailbox: no e-mail choice
    page.screenshot(path=ARTIFACTS / "chat-follow-up-call-back.png", full_page=True)
