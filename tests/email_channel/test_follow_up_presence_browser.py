"""The presence rule of the follow-up by e-mail, in real browsers (Debian's Chromium): a
web-chat customer who left an address while waiting gets the agent's reply by mail only
when they are not connected to the chat (bot/customer_presence.py); while their chat is
open, the chat delivers it and no mail goes. The agent works in the inbox of the same
daphne process that holds the customer's socket, as in production."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail as django_mail

from agents.models import AgentProfile
from email_channel.models import MailMessage
from email_channel.services import mail_send_attempt
from tests.agents.test_inbox_browser import agent_page, customer_page
from tests.email_channel.mails import maildir_mailbox_create
from tests.factories import AgentFactory, QueueFactory
from tests.processes import ARTIFACTS, daphne_server

pytestmark = pytest.mark.browser

ADDRESS = "erika.neu@example.org"
WHILE_CONNECTED = "Ich schaue gleich nach."
AFTER_LEAVING = "Ihr Paket kommt morgen."


@pytest.fixture
def team(policies, knowledge_base, transactional_db, tmp_path):
    """Before the browser starts (its event loop forbids database calls in this thread)."""
    agent = AgentFactory(username="anna")
    AgentProfile.objects.create(user=agent, display_name="Anna", availability="online")
    maildir_mailbox_create(
        queue=QueueFactory(name="Kundenservice", members=[agent]), folder=tmp_path / "Maildir"
    )
    return agent


def _in_a_thread(function, *args):
    # The ORM runs beside Playwright's event loop (its sync API) only in a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


def _mailed_texts() -> list[str]:
    return [
        mail.message.text
        for mail in MailMessage.objects.filter(direction=MailMessage.Direction.OUTBOUND)
        .select_related("message")
        .order_by("pk")
    ]


def _send_queued() -> None:
    """What the Celery worker does with the queued mail (none runs beside this daphne)."""
    for mail_id in MailMessage.objects.values_list("pk", flat=True):
        mail_send_attempt(mail_id=mail_id)


def test_the_reply_goes_by_mail_only_once_the_customer_left_the_chat(team, tmp_path, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with daphne_server(tmp_path / "daphne.log") as base_url:
        agent = agent_page(browser, base_url)
        customer = customer_page(browser, base_url)
        customer.get_by_label("Ihre Nachricht").fill("Wo ist mein Paket?")
        customer.get_by_role("button", name="Senden").click()
        customer.locator("#escalate").click()
        form = customer.locator("#follow-up-form")
        form.get_by_label("Ihre E-Mail-Adresse").fill(ADDRESS)
        form.get_by_label("Ich bin einverstanden").check()
        form.get_by_role("button", name="Antwort per E-Mail senden").click()
        expect(customer.locator("#follow-up-done")).to_be_visible()

        # Connected: the chat delivers the reply, no mail goes.
        row = agent.locator("#inbox-rows tr[data-id]")
        expect(row).to_have_count(1, timeout=10000)
        row.get_by_role("link", name="Open").click()
        expect(agent.locator("#conversation-live")).to_contain_text("Live: new messages")
        agent.get_by_label("Reply to the customer").fill(WHILE_CONNECTED)
        agent.keyboard.press("Enter")
        expect(agent.locator("#transcript .msg-agent p").last).to_have_text(WHILE_CONNECTED)
        expect(customer.locator(".msg-agent p").last).to_have_text(WHILE_CONNECTED, timeout=10000)
        customer.screenshot(path=ARTIFACTS / "follow-up-presence-connected.png", full_page=True)
        assert _in_a_thread(_mailed_texts) == []

        # The customer closes the page: its socket closes and no longer counts.
        customer.context.close()
        agent.wait_for_timeout(3000)
        agent.get_by_label("Reply to the customer").fill(AFTER_LEAVING)
        agent.keyboard.press("Enter")
        expect(agent.locator("#transcript .msg-agent p").last).to_have_text(AFTER_LEAVING)
        assert _in_a_thread(_mailed_texts) == [AFTER_LEAVING]

        _in_a_thread(_send_queued)
        (sent,) = django_mail.outbox
        assert sent.to == [ADDRESS]
        assert AFTER_LEAVING in sent.body and WHILE_CONNECTED not in sent.body
        # The agent sees the mail's delivery under the reply (a web chat's too).
        agent.reload()
        expect(agent.locator("[data-delivery-status]")).to_have_count(1)
        expect(agent.locator("[data-delivery-status]")).to_have_attribute(
            "data-delivery-status", "sent"
        )
        agent.screenshot(path=ARTIFACTS / "follow-up-presence-mailed.png", full_page=True)
