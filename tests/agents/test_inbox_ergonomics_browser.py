"""The inbox in daily use, in a real browser: a long conversation opens at its newest
message, the list names the customer, a colleague's claim is announced on the list and on
the conversation, the keyboard shortcuts claim and resolve, and live times are the
desk's time zone whatever the browser's. Screenshots go to var/test-artifacts/."""

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from agents.models import AgentProfile
from agents.services import assignment_route
from bot.chat import conversation_escalate
from bot.models import Message
from bot.services import message_append
from tests.factories import AgentFactory, ConversationFactory, DataSubjectFactory, QueueFactory
from tests.processes import ARTIFACTS, CHROMIUM, daphne_server

RECORD_ANNOUNCEMENTS = """() => {
  window.announced = [];
  new MutationObserver(records => records.forEach(record => record.addedNodes.forEach(
    node => window.announced.push(node.textContent)))).observe(
      document.getElementById("announcer"), {childList: true});
}"""


@pytest.fixture
def live_desk(policies, knowledge_base, transactional_db, tmp_path):
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    anna, ben = AgentFactory(username="anna"), AgentFactory(username="ben")
    AgentProfile.objects.create(user=anna, display_name="Anna", availability="online")
    AgentProfile.objects.create(user=ben, display_name="Ben", availability="offline")
    QueueFactory(name="Kundenservice", members=[anna, ben])
    subject = DataSubjectFactory(name="Erika Mustermann", email="erika@example.org")
    conversation = ConversationFactory(language="de", subject=subject)
    for number in range(1, 41):
        message_append(
            conversation=conversation, sender="customer", text=f"Nachricht Nummer {number}"
        )
    conversation_escalate(conversation=conversation, reason="customer_request")
    assignment_route(conversation_id=conversation.pk)
    with daphne_server(tmp_path / "daphne.log") as base_url:
        yield base_url, conversation


def signed_in(browser, base_url, username, **context_options):
    context = browser.new_context(
        locale="en-US", viewport={"width": 1280, "height": 900}, **context_options
    )
    page = context.new_page()
    page.goto(f"{base_url}/inbox/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("test-password")
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{base_url}/inbox/")
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_long_conversation_opens_at_its_newest_message(live_desk, browser):
    from playwright.sync_api import expect

    base_url, conversation = live_desk
    page = signed_in(browser, base_url, "ben")

    # The list names the customer, the address masked; the agent sees their own status.
    row = page.locator("#inbox-rows tr[data-id]")
    expect(row.locator(".customer")).to_contain_text("Erika Mustermann")
    expect(row.locator(".customer")).to_contain_text("e•••@e•••.org")
    expect(page.locator("#my-status")).to_contain_text("You are offline")
    page.screenshot(path=ARTIFACTS / "inbox-ergonomics-1-list.png", full_page=True)

    row.get_by_role("link", name="Open").click()
    transcript = page.locator("#transcript")
    expect(transcript.locator("li").last).to_contain_text("Nachricht Nummer 40")
    expect(transcript.locator("li").last).to_be_in_viewport()
    at_bottom = page.evaluate(
        "() => { const t = document.getElementById('transcript');"
        " return t.scrollHeight > t.clientHeight"
        " && t.scrollTop + t.clientHeight >= t.scrollHeight - 2; }"
    )
    assert at_bottom
    expect(page.get_by_text("escalated just now")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "inbox-ergonomics-2-newest-message.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_colleagues_claim_is_announced_and_shortcuts_claim_and_resolve(live_desk, browser):
    from playwright.sync_api import expect

    base_url, conversation = live_desk
    url = f"{base_url}/inbox/c/{conversation.public_id}/"
    ben_list = signed_in(browser, base_url, "ben")
    expect(ben_list.locator("#inbox-live")).to_contain_text("Live")
    ben_list.evaluate(RECORD_ANNOUNCEMENTS)
    ben_conversation = ben_list.context.new_page()
    ben_conversation.goto(url)
    expect(ben_conversation.locator("#conversation-live")).to_contain_text("Live: new messages")
    ben_conversation.evaluate(RECORD_ANNOUNCEMENTS)

    # Anna claims with the keyboard (documented on the page): Ben hears who took it.
    anna = signed_in(browser, base_url, "anna")
    anna.goto(url)
    expect(anna.locator("#conversation-live")).to_contain_text("Live: new messages")
    expect(anna.locator("#shortcuts")).to_contain_text("Alt")
    anna.keyboard.press("Alt+Shift+KeyC")
    expect(anna.locator("#agent-name")).to_have_text("Anna")
    expect(anna.locator("#reply-text")).to_be_focused()

    expect(ben_conversation.locator("#announcer")).to_contain_text(
        "Anna claimed this conversation.", timeout=10000
    )
    expect(ben_list.locator("#announcer")).to_contain_text(
        "Anna claimed a conversation", timeout=10000
    )
    assert (
        ben_conversation.evaluate("() => window.announced").count("Anna claimed this conversation.")
        == 1
    )
    ben_conversation.screenshot(path=ARTIFACTS / "inbox-ergonomics-3-claimed-by-anna.png")

    # Alt+Shift+R from anywhere reaches the reply box; Alt+Shift+D resolves.
    anna.locator("#note-text").focus()
    anna.keyboard.press("Alt+Shift+KeyR")
    expect(anna.locator("#reply-text")).to_be_focused()
    anna.keyboard.press("Alt+Shift+KeyD")
    expect(anna.locator("#conversation-status")).to_have_attribute("data-status", "resolved")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_live_times_are_the_desks_time_zone_not_the_browsers(live_desk, browser, monkeypatch):
    from playwright.sync_api import expect

    base_url, conversation = live_desk
    # Playwright's sync API runs an event loop in this thread; the ORM calls below read
    # the stored times while the browser waits.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # A browser on the other side of the Atlantic: the desk's times all the same.
    anna = signed_in(browser, base_url, "anna", timezone_id="America/New_York")
    anna.goto(f"{base_url}/inbox/c/{conversation.public_id}/")
    expect(anna.locator("#conversation-live")).to_contain_text("Live: new messages")
    anna.get_by_role("button", name="Claim").click()
    # The claim sends the page back: reply on that page once its socket is live (the
    # reply box of the page before is enabled too, and a reply sent before the new
    # page's socket joined is shown on it only after a reload).
    expect(anna.locator("#flash")).to_contain_text("You have claimed this conversation")
    expect(anna.locator("#conversation-live")).to_contain_text("Live: new messages")
    anna.get_by_label("Reply to the customer").fill("Wir kümmern uns darum.")
    anna.keyboard.press("Enter")

    live = anna.locator("#transcript .msg-agent .who").last
    expect(live).to_be_visible()
    desk = ZoneInfo(settings.TIME_ZONE)
    messages = Message.objects.filter(conversation=conversation)
    sent = messages.get(sender="agent").created_at.astimezone(desk).strftime("%H:%M")
    expect(live).to_contain_text(f"Anna · {sent}")
    written = messages.filter(sender="customer").latest("seq").created_at.astimezone(desk)
    rendered = anna.locator("#transcript .msg-customer time").last
    expect(rendered).to_have_text(written.strftime("%H:%M"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_live_bot_message_shows_why_the_bot_answered(live_desk, browser, monkeypatch):
    """The page's socket is routed through the test (Playwright's WebSocket routing) to
    deliver a bot message as the agents' consumer sends it (tests/agents/
    test_inbox_ergonomics.py proves the consumer attaches the explanation)."""
    from playwright.sync_api import expect

    from agents.selectors import bot_message_explanation

    base_url, conversation = live_desk
    sockets = []
    # Playwright's sync API runs an event loop in this thread; the ORM calls below are
    # the test's own, made while the browser waits.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    def route(socket):
        socket.connect_to_server()
        sockets.append(socket)

    anna = signed_in(browser, base_url, "anna")
    anna.route_web_socket("**/ws/inbox/conversations/**", route)
    anna.goto(f"{base_url}/inbox/c/{conversation.public_id}/")
    expect(anna.locator("#conversation-live")).to_contain_text("Live: new messages")

    message = message_append(
        conversation=conversation,
        sender="bot",
        text="Solange Ihre Bestellung noch nicht versendet wurde …",
        intent_slug="order_change",
        confidence=0.91,
    )[0]
    frame = {
        "type": "message",
        "seq": message.seq,
        "from": "bot",
        "text": message.text,
        "sent_at": message.created_at.isoformat(),
        "explanation": bot_message_explanation(conversation=conversation, seq=message.seq),
    }
    sockets[0].send(json.dumps(frame))

    live = anna.locator(f'#transcript li[data-seq="{message.seq}"]')
    expect(live).to_contain_text("Solange Ihre Bestellung")
    expect(live.locator(".who")).to_contain_text("91%")
    live.locator("summary").click()
    why = live.locator("details.bot-why")
    expect(why).to_contain_text("Why the bot answered")
    expect(why).to_contain_text("(order_change)")
    expect(why).to_contain_text("91%")
    expect(why.locator("dd li")).to_have_count(3)
    anna.screenshot(path=ARTIFACTS / "inbox-ergonomics-4-live-explanation.png")
