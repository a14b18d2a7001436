"""The inbox in a real browser (Debian's Chromium through Playwright), beside a customer.

A customer escalates in one browser context; the agent, signed in in another,
sees it appear live, claims it, replies; the customer sees the reply; the agent
resolves; the customer sees the resolution and gets the rating prompt. And a
hostile customer message stays text everywhere. Screenshots go to
var/test-artifacts/.
"""

import json
from pathlib import Path

import pytest

from agents.models import AgentProfile
from tests.factories import AgentFactory, QueueFactory
from tests.processes import ARTIFACTS, CHROMIUM, daphne_server

HOSTILE = (
    '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    '<a href="javascript:window.pwned=3">klick</a>'
)


@pytest.fixture
def live_inbox(policies, knowledge_base, transactional_db, tmp_path):
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    agent = AgentFactory(username="anna")
    AgentProfile.objects.create(user=agent, display_name="Anna", availability="online")
    QueueFactory(name="Kundenservice", members=[agent])
    with daphne_server(tmp_path / "daphne.log") as base_url:
        yield base_url


def customer_page(browser, base_url: str):
    """A customer on the chat page, consented and identified; records the frames it gets."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="de-DE", viewport={"width": 420, "height": 860})
    page = context.new_page()
    page.frames_received = []

    def on_socket(socket):
        socket.on("framereceived", lambda payload: page.frames_received.append(payload))

    page.on("websocket", on_socket)
    page.goto(f"{base_url}/chat/")
    page.get_by_role("button", name="Ich stimme zu").click()
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#composer")).to_be_visible()
    return page


def agent_page(browser, base_url: str):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base_url}/inbox/login/")
    page.get_by_label("Username").fill("anna")
    page.get_by_label("Password").fill("test-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/inbox/")
    return page


def frame_types(page) -> list[str]:
    types = []
    for payload in page.frames_received:
        try:
            types.append(json.loads(payload).get("type"))
        except (TypeError, ValueError):
            continue
    return types


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_escalate_claim_reply_resolve_across_two_browsers(live_inbox, browser):
    from playwright.sync_api import expect

    agent = agent_page(browser, live_inbox)
    expect(agent.locator("#inbox-live")).to_contain_text("Live")
    expect(agent.locator("#count-waiting")).to_have_text("0")
    customer = customer_page(browser, live_inbox)

    # The customer asks for a person; the agent's inbox shows it without a reload.
    customer.get_by_label("Ihre Nachricht").fill("Mein Paket ist beschädigt angekommen.")
    customer.get_by_role("button", name="Senden").click()
    customer.locator("#escalate").click()
    expect(customer.locator("#chat-notice")).to_contain_text("Team")
    row = agent.locator("#inbox-rows tr[data-id]")
    expect(row).to_have_count(1, timeout=10000)
    expect(row).to_contain_text("beschädigt")
    expect(agent.locator("#count-waiting")).to_have_text("1")
    agent.screenshot(path=ARTIFACTS / "inbox-1-escalation-live.png", full_page=True)
    customer.screenshot(path=ARTIFACTS / "inbox-1-customer-waiting.png", full_page=True)

    # Claim, then reply.
    row.get_by_role("link", name="Open").click()
    expect(agent.locator("#conversation-live")).to_contain_text("Live: new messages")
    agent.get_by_role("button", name="Claim").click()
    expect(agent.locator("#agent-name")).to_have_text("Anna")
    expect(agent.locator("#conversation-live")).to_contain_text("Live: new messages")
    agent.get_by_label("Reply to the customer").fill("Das tut mir leid! Wir schicken Ersatz.")
    agent.keyboard.press("Enter")
    expect(agent.locator("#transcript .msg-agent p").last).to_have_text(
        "Das tut mir leid! Wir schicken Ersatz."
    )
    expect(customer.locator(".msg-agent p").last).to_have_text(
        "Das tut mir leid! Wir schicken Ersatz.", timeout=10000
    )
    agent.screenshot(path=ARTIFACTS / "inbox-2-agent-replied.png", full_page=True)
    customer.screenshot(path=ARTIFACTS / "inbox-2-customer-sees-reply.png", full_page=True)

    # The customer writes again: the agent sees it live.
    customer.get_by_label("Ihre Nachricht").fill("Danke, sehr nett!")
    customer.get_by_role("button", name="Senden").click()
    expect(agent.locator("#transcript .msg-customer p").last).to_have_text(
        "Danke, sehr nett!", timeout=10000
    )

    # Resolve: the customer is told and asked for a rating.
    agent.get_by_role("button", name="Resolve").click()
    expect(agent.locator("#conversation-status")).to_have_attribute("data-status", "resolved")
    expect(customer.locator(".msg-system p").last).to_contain_text("gelöst", timeout=10000)
    customer.wait_for_function("() => true")
    assert "csat.request" in frame_types(customer)
    assert {"status", "message"} <= set(frame_types(customer))
    agent.screenshot(path=ARTIFACTS / "inbox-3-agent-resolved.png", full_page=True)
    customer.screenshot(path=ARTIFACTS / "inbox-3-customer-rating-prompt.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_hostile_customer_message_stays_text_in_the_inbox(live_inbox, browser):
    from playwright.sync_api import expect

    agent = agent_page(browser, live_inbox)
    expect(agent.locator("#inbox-live")).to_contain_text("Live")
    customer = customer_page(browser, live_inbox)
    customer.get_by_label("Ihre Nachricht").fill(HOSTILE)
    customer.get_by_role("button", name="Senden").click()
    # The composer's button: the bot's reply may offer the same words as a chip.
    customer.locator("#escalate").click()

    # In the live list (rendered by the script) ...
    row = agent.locator("#inbox-rows tr[data-id]")
    expect(row).to_have_count(1, timeout=10000)
    expect(row.locator(".preview")).to_have_text(HOSTILE)
    # ... on the server-rendered page ...
    row.get_by_role("link", name="Open").click()
    expect(agent.locator("#transcript .msg-customer p").first).to_have_text(HOSTILE)
    expect(agent.locator("#conversation-live")).to_contain_text("Live: new messages")
    # ... and arriving live over the socket.
    customer.get_by_label("Ihre Nachricht").fill(HOSTILE + " noch einmal")
    customer.get_by_role("button", name="Senden").click()
    expect(agent.locator("#transcript .msg-customer p").last).to_have_text(
        HOSTILE + " noch einmal", timeout=10000
    )

    assert agent.locator("#transcript img, #inbox-rows img, #transcript a").count() == 0
    assert agent.evaluate("() => window.pwned") is None
    assert agent.dialogs == []
    agent.screenshot(path=ARTIFACTS / "inbox-4-hostile-message-as-text.png", full_page=True)
