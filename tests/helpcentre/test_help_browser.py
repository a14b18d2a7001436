"""The help centre and the contact form in a real browser (Debian's Chromium, Playwright).

Search finds an article by a paraphrase; the contact form shows an answer while the
customer types and, sent, is a conversation the agent sees appear live in the inbox;
nothing is stored on the device before consent; and all of it works by keyboard only.
Screenshots go to var/test-artifacts/.
"""

from pathlib import Path

import pytest

from agents.models import AgentProfile
from tests.factories import AgentFactory, QueueFactory
from tests.processes import ARTIFACTS, CHROMIUM, daphne_server

DEVICE_STORAGE = """async () => ({
  local: Object.keys(localStorage), session: Object.keys(sessionStorage),
  indexeddb: indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : []})"""


@pytest.fixture
def live_help(policies, knowledge_base, transactional_db, tmp_path):
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    agent = AgentFactory(username="anna")
    AgentProfile.objects.create(user=agent, display_name="Anna", availability="online")
    QueueFactory(name="Kundenservice", members=[agent])
    with daphne_server(tmp_path / "daphne.log") as base_url:
        yield base_url


def customer(browser):
    context = browser.new_context(locale="de-DE", viewport={"width": 420, "height": 900})
    return context, context.new_page()


def nothing_stored(context, page) -> bool:
    storage = page.evaluate(DEVICE_STORAGE)
    return context.cookies() == [] and storage == {"local": [], "session": [], "indexeddb": []}


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; return {
            id: e.id, tag: e.tagName.toLowerCase(), text: (e.textContent || '').trim(),
            name: e.getAttribute('name') || '', value: e.value || '' }; }"""
    )


def tab_to(page, matches, *, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if matches(focused(page)):
            return
    raise AssertionError(f"never reached by Tab in {limit} presses; at {focused(page)}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_finds_an_article_by_a_paraphrase_and_leaves_nothing_on_the_device(
    live_help, browser
):
    from playwright.sync_api import expect

    context, page = customer(browser)
    page.goto(f"{live_help}/help/")
    expect(page.get_by_role("heading", name="Hilfe-Center")).to_be_visible()
    # None of "Paket", "kam", "nie" is in the article's title "Bestellung nicht angekommen".
    page.get_by_label("Im Hilfe-Center suchen").fill("Mein Paket kam nie an")
    page.get_by_role("button", name="Suchen").click()
    results = page.locator(".article-list a")
    expect(results.first).to_be_visible()
    assert "Bestellung nicht angekommen" in results.all_inner_texts()[:3]
    page.screenshot(path=ARTIFACTS / "help-1-search.png", full_page=True)

    page.get_by_role("link", name="Bestellung nicht angekommen").click()
    expect(page.get_by_role("heading", name="Bestellung nicht angekommen")).to_be_visible()
    page.get_by_role("button", name="Ja").click()
    expect(page.get_by_role("status")).to_contain_text("Danke")
    page.screenshot(path=ARTIFACTS / "help-2-article-voted.png", full_page=True)
    assert nothing_stored(context, page)


def agent_inbox(browser, base_url: str):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/inbox/login/")
    page.get_by_label("Username").fill("anna")
    page.get_by_label("Password").fill("test-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/inbox/")
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_form_suggests_while_typing_and_sends_a_conversation_the_agent_sees_live(
    live_help, browser
):
    from playwright.sync_api import expect

    agent = agent_inbox(browser, live_help)
    expect(agent.locator("#inbox-live")).to_contain_text("Live")
    context, page = customer(browser)
    page.goto(f"{live_help}/contact/")
    suggestions = page.locator("#contact-suggestions")
    expect(suggestions).to_be_hidden()

    page.get_by_label("Betreff").press_sequentially("Was kostet der Versand", delay=20)
    expect(suggestions).to_be_visible(timeout=5000)
    expect(suggestions.get_by_role("heading", name="Versandkosten")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "contact-1-suggestion.png", full_page=True)
    assert nothing_stored(context, page)  # before consent: nothing on the device

    # The answer did not help: the customer writes and sends.
    page.get_by_label("Ihre Nachricht").fill("Mein Paket nach Österreich kostet doppelt?")
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_label("Ich stimme der Datenschutzerklärung zu.").check()
    page.get_by_role("button", name="Senden", exact=True).click()
    expect(page.get_by_role("heading", name="Anfrage gesendet")).to_be_visible()

    row = agent.locator("#inbox-rows tr[data-id]")
    expect(row).to_have_count(1, timeout=10000)
    expect(row).to_contain_text("Österreich")
    agent.screenshot(path=ARTIFACTS / "contact-2-agent-inbox.png", full_page=True)
    assert nothing_stored(context, page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_help_centre_and_the_form_work_by_keyboard_only(live_help, browser):
    from playwright.sync_api import expect

    context, page = customer(browser)
    page.goto(f"{live_help}/help/")
    tab_to(page, lambda f: f["id"] == "help-q")
    page.keyboard.type("Versandkosten")
    page.keyboard.press("Enter")
    expect(page.locator(".article-list a").first).to_be_visible()
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Versandkosten")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Versandkosten", level=1)).to_be_visible()
    tab_to(page, lambda f: f["name"] == "helpful" and f["value"] == "no")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Danke")

    tab_to(page, lambda f: f["tag"] == "a" and "Kontaktformular" in f["text"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Kontakt", level=1)).to_be_visible()
    tab_to(page, lambda f: f["id"] == "id_name")
    page.keyboard.type("Erika Mustermann")
    page.keyboard.press("Tab")
    page.keyboard.type("erika@example.org")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_subject"
    page.keyboard.type("Versandkosten")
    page.keyboard.press("Tab")
    page.keyboard.type("Was kostet der Versand nach Hause?")
    expect(page.locator("#contact-suggestions")).to_be_visible(timeout=5000)
    # The suggestion's button is reachable and ends the request there.
    tab_to(page, lambda f: f["text"] == "Das hat meine Frage beantwortet")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Schön, dass wir helfen konnten")).to_be_visible()
    assert nothing_stored(context, page)


WIDGET_HOST = """<!DOCTYPE html><html lang="de"><head><title>Shop</title></head><body>
<h1>Shop</h1><script src="{base_url}/static/bot/widget.js" data-entry="{entry}"></script>
</body></html>"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("entry", "launcher", "heading"),
    [("help", "Hilfe-Center", "Hilfe-Center"), ("contact", "Kontakt", "Kontakt")],
)
def test_the_widget_opens_the_entry_its_script_tag_chooses(
    live_help, browser, entry, launcher, heading
):
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.route(
        f"{live_help}/shop/",
        lambda route: route.fulfill(
            content_type="text/html", body=WIDGET_HOST.format(base_url=live_help, entry=entry)
        ),
    )
    page.goto(f"{live_help}/shop/")
    page.get_by_role("button", name=launcher).click()
    frame = page.frame_locator("#supportdesk-chat-dialog iframe")
    expect(frame.get_by_role("heading", name=heading, level=1)).to_be_visible()
    # Its deferred scripts (the Escape handler) run by DOMContentLoaded, which can come
    # after the heading shows on a loaded machine.
    framed = page.locator("#supportdesk-chat-dialog iframe").element_handle().content_frame()
    framed.wait_for_load_state("domcontentloaded")
    # Escape inside the framed page closes the widget, as in the chat.
    frame.locator("a").first.focus()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert page.context.cookies() == []
