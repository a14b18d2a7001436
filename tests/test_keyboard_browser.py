"""Keyboard only, in a real browser (Debian's Chromium through Playwright): the customer
journey (consent → identification → question → feedback → escalation → rating) and the
agent journey (inbox → open → claim → reply → resolve), side by side.

After each step the test asserts where focus is and what the page's one polite live
region announced. Only key presses move the customer and the agent (the agent's sign-in
form is filled before the journey starts).
"""

from pathlib import Path

import pytest

from agents.models import AgentProfile
from tests.factories import AgentFactory, QueueFactory
from tests.processes import ARTIFACTS, CHROMIUM, daphne_server

QUESTION = "Wie hoch sind die Versandkosten?"
REPLY = "Das tut mir leid! Wir schicken Ersatz."

# Every line added to the page's live region, in order (the region keeps only its last few).
RECORD_ANNOUNCEMENTS = """id => {
  window.announced = [];
  new MutationObserver(records => records.forEach(record => record.addedNodes.forEach(
    node => window.announced.push(node.textContent)))).observe(
      document.getElementById(id), {childList: true});
}"""


@pytest.fixture
def live_site(policies, knowledge_base, transactional_db, tmp_path):
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    agent = AgentFactory(username="anna")
    AgentProfile.objects.create(user=agent, display_name="Anna", availability="online")
    QueueFactory(name="Kundenservice", members=[agent])
    with daphne_server(tmp_path / "daphne.log") as base_url:
        yield base_url


def focused(page) -> dict:
    """The focused element: its id, text and accessible label."""
    return page.evaluate(
        """() => { const e = document.activeElement; return {
            id: e.id, tag: e.tagName.toLowerCase(), text: (e.textContent || '').trim(),
            label: e.getAttribute('aria-label') || '' }; }"""
    )


def tab_to(page, matches, *, key: str = "Tab", limit: int = 40) -> int:
    """Presses Tab (or Shift+Tab) until the focused element matches; the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if matches(focused(page)):
            return presses
    raise AssertionError(f"never reached by {key} in {limit} presses; at {focused(page)}")


def announced(page) -> list[str]:
    return page.evaluate("() => window.announced")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_customer_and_agent_journeys_by_keyboard(live_site, browser):
    from playwright.sync_api import expect

    base_url = live_site
    agent = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900}).new_page()
    agent.goto(f"{base_url}/inbox/login/")
    agent.locator("#id_username").fill("anna")
    agent.locator("#id_password").fill("test-password")
    agent.keyboard.press("Enter")
    agent.wait_for_url(f"{base_url}/inbox/")
    expect(agent.locator("#inbox-live")).to_contain_text("Live")
    agent.evaluate(RECORD_ANNOUNCEMENTS, "announcer")

    customer = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    customer = customer.new_page()
    customer.goto(f"{base_url}/chat/")
    expect(customer.locator("#consent-panel")).to_be_visible()
    customer.evaluate(RECORD_ANNOUNCEMENTS, "chat-announcer")

    # Consent: focus moves to the first identification field.
    tab_to(customer, lambda f: f["id"] == "consent-accept")
    customer.keyboard.press("Enter")
    expect(customer.locator("#identify-name")).to_be_focused()

    # An invalid address: the field is marked, its message linked, focus on it, announced.
    customer.keyboard.type("Erika Mustermann")
    customer.keyboard.press("Tab")
    customer.keyboard.type("keine-adresse")
    customer.keyboard.press("Enter")
    email = customer.locator("#identify-email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", "identify-email-error")
    expect(customer.locator("#identify-email-error")).not_to_be_empty()
    expect(email).to_be_focused()
    assert "Bitte prüfen Sie Ihre Angaben." in announced(customer)

    # Corrected: focus moves to the message box.
    customer.keyboard.press("Control+A")
    customer.keyboard.type("erika@example.org")
    customer.keyboard.press("Enter")
    expect(customer.locator("#composer-text")).to_be_focused()
    expect(customer.locator("#identify-email-error")).to_have_count(0)

    # A question: focus stays in the box; the own message is announced once, the answer
    # without the feedback buttons' text.
    customer.keyboard.type(QUESTION)
    customer.keyboard.press("Enter")
    expect(customer.locator(".msg-bot p").last).to_contain_text("4,95")
    expect(customer.locator("#composer-text")).to_be_focused()
    expect(customer.locator("#composer-text")).to_be_in_viewport()  # not below the fold
    lines = announced(customer)
    assert lines.count(f"Sie: {QUESTION}") == 1, lines
    # The greeting after identification is announced too, once, before the question.
    answers = [line for line in lines if line.startswith("Bot: ") and "Hallo!" not in line]
    assert len(answers) == 1 and "4,95" in answers[0], lines
    assert not any("Hilfreich" in line for line in lines), lines

    # Feedback: focus goes to the confirmation that replaced the buttons.
    tab_to(customer, lambda f: f["text"] == "Hilfreich", key="Shift+Tab")
    customer.keyboard.press("Enter")
    expect(customer.locator(".msg-bot .feedback")).to_be_focused()
    expect(customer.locator(".msg-bot .feedback")).to_have_text("Danke für Ihre Rückmeldung.")
    assert announced(customer)[-1] == "Danke für Ihre Rückmeldung."

    # Escalation: the button keeps focus; the notice is announced.
    tab_to(customer, lambda f: f["id"] == "escalate")
    customer.keyboard.press("Enter")
    expect(customer.locator("#chat-notice")).to_contain_text("Team")
    expect(customer.locator("#escalate")).to_be_focused()
    customer.screenshot(path=ARTIFACTS / "keyboard-1-customer-escalated.png", full_page=True)

    # The agent's inbox announces the escalation; the skip link reaches the list in two
    # presses and the first Open link in three.
    row = agent.locator("#inbox-rows tr[data-id]")
    expect(row).to_have_count(1, timeout=10000)
    expect(agent.locator("#announcer")).to_contain_text("New escalation waiting", timeout=10000)
    agent.keyboard.press("Tab")
    assert focused(agent)["text"] == "Skip to the conversation list"
    agent.keyboard.press("Enter")
    expect(agent.locator("#inbox-list")).to_be_focused()
    agent.keyboard.press("Tab")
    open_link = row.get_by_role("link", name="Open")
    expect(open_link).to_be_focused()

    # The list re-renders on a live update: focus stays on the same row's link.
    tab_to(customer, lambda f: f["id"] == "composer-text", key="Shift+Tab")
    customer.keyboard.type("Sind Sie noch da?")
    customer.keyboard.press("Enter")
    expect(row.locator(".preview")).to_contain_text("noch da", timeout=10000)
    expect(open_link).to_be_focused()
    expect(agent.locator("#announcer")).to_contain_text("New customer message: Sind Sie noch da?")

    # Open, then the skip link to the actions, then Claim: focus lands in the reply box and
    # the confirmation is announced.
    agent.keyboard.press("Enter")
    expect(agent.locator("#conversation-live")).to_contain_text("Live: new messages")
    tab_to(agent, lambda f: f["text"] == "Skip to claim, resolve and transfer", limit=3)
    agent.keyboard.press("Enter")
    expect(agent.locator("#handling-title")).to_be_focused()
    agent.keyboard.press("Tab")
    expect(agent.locator("#claim-button")).to_be_focused()
    agent.keyboard.press("Enter")
    expect(agent.locator("#agent-name")).to_have_text("Anna")
    expect(agent.locator("#reply-text")).to_be_focused()
    expect(agent.locator("#announcer")).to_contain_text("You have claimed this conversation.")

    # Reply by Enter: focus stays in the box; the customer hears the reply once.
    agent.keyboard.type(REPLY)
    agent.keyboard.press("Enter")
    expect(agent.locator("#transcript .msg-agent p").last).to_have_text(REPLY)
    expect(agent.locator("#reply-text")).to_be_focused()
    expect(agent.locator("#announcer")).to_contain_text(REPLY)
    expect(customer.locator(".msg-agent p").last).to_have_text(REPLY, timeout=10000)
    assert announced(customer).count(f"Team: {REPLY}") == 1

    # Resolve: focus on the confirmation, which is announced.
    tab_to(agent, lambda f: f["id"] == "resolve-button")
    agent.keyboard.press("Enter")
    expect(agent.locator("#conversation-status")).to_have_attribute("data-status", "resolved")
    expect(agent.locator("#flash")).to_be_focused()
    expect(agent.locator("#announcer")).to_contain_text("The conversation is resolved")
    agent.screenshot(path=ARTIFACTS / "keyboard-2-agent-resolved.png", full_page=True)

    # Rating: the question is announced; after a score, focus on the thanks.
    expect(customer.locator("#rating")).to_be_visible(timeout=10000)
    customer.wait_for_function(
        "() => window.announced.includes('Wie zufrieden sind Sie mit unserer Hilfe?')"
    )
    expect(customer.locator("#composer-text")).to_be_focused()
    tab_to(customer, lambda f: f["label"] == "5 von 5", key="Shift+Tab")
    customer.keyboard.press("Enter")
    expect(customer.locator("#rating-question")).to_be_focused()
    expect(customer.locator("#rating-question")).to_have_text("Danke für Ihre Bewertung.")
    assert announced(customer)[-1] == "Danke für Ihre Bewertung."
    customer.screenshot(path=ARTIFACTS / "keyboard-3-customer-rated.png", full_page=True)


HOST_PAGE = """<!DOCTYPE html><html lang="{lang}"><head><title>Shop</title></head>
<body><h1>Shop</h1><a href="#top">Produkte</a>
<script src="{base_url}/static/bot/widget.js"></script></body></html>"""

# Where focus is on the host page: in the dialog (its close button or the chat's frame)?
HOST_FOCUS = """() => { const e = document.activeElement;
  const dialog = document.getElementById('supportdesk-chat-dialog');
  return {tag: e.tagName.toLowerCase(), text: e.textContent.trim(),
          inDialog: !!dialog && dialog.contains(e)}; }"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("lang", "launcher", "close"),
    [
        ("de", "Chat mit dem Kundenservice", "Chat schließen"),
        ("en", "Chat with customer service", "Close chat"),
    ],
)
def test_the_widget_traps_focus_and_closes_on_escape(live_site, browser, lang, launcher, close):
    from playwright.sync_api import expect

    base_url = live_site
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    # A shop page on the chat's own origin (the chat may be framed by its origin).
    page.route(
        f"{base_url}/shop/",
        lambda route: route.fulfill(
            content_type="text/html", body=HOST_PAGE.format(lang=lang, base_url=base_url)
        ),
    )
    page.goto(f"{base_url}/shop/")
    launcher_button = page.get_by_role("button", name=launcher)
    expect(launcher_button).to_have_attribute("aria-expanded", "false")

    tab_to(page, lambda f: f["text"] == launcher, limit=3)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=launcher)
    expect(dialog).to_be_visible()
    expect(launcher_button).to_have_attribute("aria-expanded", "true")
    chat = page.frame_locator("#supportdesk-chat-dialog iframe")
    expect(chat.locator("#consent-panel")).to_be_visible()
    assert page.evaluate(HOST_FOCUS) == {"tag": "iframe", "text": "", "inDialog": True}

    # Tab and Shift+Tab never leave the dialog.
    for key in ["Tab"] * 12 + ["Shift+Tab"] * 12:
        page.keyboard.press(key)
        assert page.evaluate(HOST_FOCUS)["inDialog"], key

    # Escape inside the chat closes it; focus returns to the launcher.
    chat.locator("#consent-accept").focus()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher_button).to_be_focused()
    expect(launcher_button).to_have_attribute("aria-expanded", "false")

    # Open again; the close button closes it too.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    tab_to(page, lambda f: f["text"] == close, key="Shift+Tab", limit=20)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(launcher_button).to_be_focused()
