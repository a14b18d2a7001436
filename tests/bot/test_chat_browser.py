"""The customer chat in a real browser (Debian's Chromium, driven by Playwright).

Consent, identification, a knowledge-base question and its answer, the
hand-over to a person. Screenshots go to var/test-artifacts/.
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from bot.chat import bot_topics
from privacy.models import ConsentRecord
from tests.processes import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, daphne_server


def _consent_purposes() -> list[str]:
    """The recorded purposes, read outside Playwright's event loop (no ORM in async)."""

    def read() -> list[str]:
        try:
            return ConsentRecord.objects.get().purposes
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(read).result()


@pytest.fixture
def live_chat(policies, knowledge_base, transactional_db, tmp_path):
    """daphne in its own process, on the test database, with the demo knowledge base."""
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with daphne_server(tmp_path / "daphne.log") as base_url:
        yield base_url


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page(locale="de-DE", viewport={"width": 400, "height": 800})
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_consent_question_answer_and_handover(live_chat, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_chat}/chat/")
    expect(page.locator("#consent-panel")).to_be_visible()
    expect(page.locator("#consent-summary")).to_contain_text("Name")
    page.screenshot(path=ARTIFACTS / "chat-1-consent.png", full_page=True)

    # Improving the bot is offered on its own, unticked; the customer ticks it here.
    improve = page.get_by_label("Verbesserung des Bots mit Gesprächsinhalten")
    expect(improve).not_to_be_checked()
    improve.check()
    page.get_by_role("button", name="Ich stimme zu").click()
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#composer")).to_be_visible()

    page.get_by_label("Ihre Nachricht").fill("Wie hoch sind die Versandkosten?")
    page.get_by_role("button", name="Senden").click()
    expect(page.locator(".msg-bot p").last).to_contain_text("4,95")
    page.screenshot(path=ARTIFACTS / "chat-2-answer.png", full_page=True)
    assert _consent_purposes() == ["bot_improvement", "support_chat"]

    page.locator("#escalate").click()
    expect(page.locator(".msg-system p").last).to_contain_text("Team")
    expect(page.locator("#chat-notice")).to_contain_text("Team")
    page.screenshot(path=ARTIFACTS / "chat-3-handover.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reload_resumes_the_conversation(live_chat, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_chat}/chat/")
    page.get_by_role("button", name="Ich stimme zu").click()
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()
    page.get_by_label("Ihre Nachricht").fill("Wie hoch sind die Versandkosten?")
    page.get_by_role("button", name="Senden").click()
    expect(page.locator(".msg-bot p").last).to_contain_text("4,95")

    page.reload()

    expect(page.locator(".msg-customer p")).to_have_count(1)
    expect(page.locator(".msg-bot p")).to_have_count(1)
    expect(page.locator("#composer")).to_be_visible()


def _device_storage(page) -> dict:
    return {
        "cookies": sorted(cookie["name"] for cookie in page.context.cookies()),
        "local": page.evaluate("Object.keys(window.localStorage)"),
        "session": sorted(page.evaluate("Object.keys(window.sessionStorage)")),
        "indexeddb": page.evaluate(
            "indexedDB.databases ? indexedDB.databases().then(d => d.map(x => x.name)) : []"
        ),
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_nothing_is_stored_on_the_device_beyond_the_tab_before_consent(live_chat, browser_page):
    """TDDDG § 25: no cookie, no localStorage, no IndexedDB; the tab-lifetime resume
    token is the one thing kept (the chat cannot resume after a network drop without it),
    and it goes with withdrawal."""
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_chat}/chat/")
    expect(page.locator("#consent-panel")).to_be_visible()
    before = _device_storage(page)

    page.get_by_role("button", name="Ich stimme zu").click()
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#composer")).to_be_visible()
    after_consent = _device_storage(page)

    page.get_by_role("button", name="Einwilligung widerrufen").click()
    expect(page.locator("#consent-panel")).to_be_visible()
    after_withdrawal = _device_storage(page)

    assert before == {
        "cookies": [],
        "local": [],
        "session": ["supportdesk.conversation"],
        "indexeddb": [],
    }
    assert after_consent["cookies"] == [] and after_consent["local"] == []
    assert after_consent["indexeddb"] == []
    assert after_withdrawal == {"cookies": [], "local": [], "session": [], "indexeddb": []}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_policy_and_request_pages_leave_no_cookie_with_their_language_switch(
    live_chat, browser_page
):
    """The pages the chat links to, and their language links, set no cookie either."""
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_chat}/privacy/policy/")
    page.get_by_role("link", name="English").click()
    page.goto(f"{live_chat}/privacy/requests/")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Your data")).to_be_visible()

    assert _device_storage(page)["cookies"] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_message_the_server_cannot_store_is_dropped_from_the_outbox_and_explained(
    live_chat, browser_page
):
    """A NUL character once made the server close the socket; the page resent the
    message on every reconnect, for ever. Now it is refused with its id, and dropped."""
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_chat}/chat/")
    page.get_by_role("button", name="Ich stimme zu").click()
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#composer")).to_be_visible()
    # As if typed before a reconnect: waiting in the outbox, sent again on reload.
    page.evaluate(
        """sessionStorage.setItem("supportdesk.outbox",
             JSON.stringify([{id: "nul-1", text: "Hallo\\u0000Welt"}]))"""
    )

    page.reload()

    expect(page.locator("#chat-notice")).to_contain_text("nicht speichern")
    expect(page.locator(".msg-pending")).to_have_count(0)
    assert page.evaluate('sessionStorage.getItem("supportdesk.outbox")') == "[]"
    page.get_by_label("Ihre Nachricht").fill("Wie hoch sind die Versandkosten?")
    page.get_by_role("button", name="Senden").click()
    expect(page.locator(".msg-bot p").last).to_contain_text("4,95")


@pytest.fixture
def de_topics(knowledge_base) -> tuple[str, ...]:
    """The topics the bot offers in German (worked out before Playwright's event loop)."""
    return bot_topics("de")


def _ready_chat(page, base_url: str) -> None:
    page.goto(f"{base_url}/chat/")
    page.get_by_role("button", name="Ich stimme zu").click()
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()


def _ask(page, text: str) -> None:
    page.get_by_label("Ihre Nachricht").fill(text)
    page.get_by_role("button", name="Senden").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_off_topic_question_gets_topic_chips_and_a_chip_answers(
    live_chat, de_topics, browser_page
):
    from playwright.sync_api import expect

    page = browser_page
    _ready_chat(page, live_chat)

    _ask(page, "Quantenphysik Schrödinger Katze Experiment")

    offer = page.locator(".msg-bot").last
    expect(offer.locator("p")).to_contain_text("Dabei kann ich Ihnen leider nicht helfen")
    topics = de_topics
    chips = offer.locator(".suggestions button")
    expect(chips).to_have_text([*topics, "Mit einer Person sprechen"])
    page.screenshot(path=ARTIFACTS / "chat-offtopic-1-topics.png", full_page=True)
    chips.first.click()
    # The chosen topic comes back as the customer's message and is answered.
    expect(page.locator(".msg-customer p").last).to_have_text(topics[0])
    expect(page.locator(".msg-bot").last.locator(".suggestions")).to_have_count(0)
    expect(page.locator("#chat-notice")).not_to_contain_text("Team")
    page.screenshot(path=ARTIFACTS / "chat-offtopic-2-answer.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_person_chip_of_an_off_topic_answer_hands_over(live_chat, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    _ready_chat(page, live_chat)
    _ask(page, "Quantenphysik Schrödinger Katze Experiment")

    page.locator(".msg-bot").last.get_by_role("button", name="Mit einer Person sprechen").click()

    expect(page.locator(".msg-system p").last).to_contain_text("Team")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_near_miss_shows_did_you_mean_chips_and_a_chip_answers(live_chat, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    _ready_chat(page, live_chat)

    _ask(page, "Kosten Lieferung")

    offer = page.locator(".msg-bot").last
    expect(offer.locator("p")).to_contain_text("Meinten Sie")
    chip = offer.locator(".suggestions button").first
    title = chip.inner_text()
    chip.click()
    expect(page.locator(".msg-customer p").last).to_have_text(title)
    expect(page.locator(".msg-bot").last.locator(".suggestions")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "chat-suggest-chips.png", full_page=True)


@pytest.fixture
def linked_shipping_answer(knowledge_base) -> None:
    """The shipping answer with a link, bold, a list and hostile markup (staff write
    answers; whatever they hold must stay inert on the customer's page)."""
    from django.utils import timezone

    from bot.models import Intent, IntentAnswer

    IntentAnswer.objects.filter(intent__slug="shipping_costs", language="de").update(
        text=(
            "**4,95 EUR**, siehe [Versandinfos](https://shop.example/versand).\n\n"
            "- DHL\n- Express\n\n"
            '<img src=x onerror="window.hostile=1"> [x](javascript:window.hostile=2)'
        )
    )
    Intent.objects.filter(slug="shipping_costs").update(updated_at=timezone.now())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_answer_shows_its_safe_link_bold_and_list_and_nothing_hostile(
    live_chat, linked_shipping_answer, browser_page
):
    from playwright.sync_api import expect

    page = browser_page
    _ready_chat(page, live_chat)

    _ask(page, "Wie hoch sind die Versandkosten?")

    answer = page.locator(".msg-bot .text").last
    link = answer.get_by_role("link", name="Versandinfos")
    expect(link).to_have_attribute("href", "https://shop.example/versand")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(answer.locator("strong")).to_have_text("4,95 EUR")
    expect(answer.locator("li")).to_have_text(["DHL", "Express"])
    expect(answer).to_contain_text('<img src=x onerror="window.hostile=1">')
    assert answer.locator("img").count() == 0 and answer.locator("a").count() == 1
    assert page.evaluate("window.hostile") is None
    page.screenshot(path=ARTIFACTS / "chat-answer-links.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_improving_the_bot_can_be_unticked_later_and_the_chat_goes_on(live_chat, browser_page):
    from playwright.sync_api import expect

    # given: a customer who ticked "improving the bot" on the consent card
    page = browser_page
    page.goto(f"{live_chat}/chat/")
    expect(page.locator("#purpose-settings")).to_be_hidden()  # nothing to change before consent
    page.get_by_label("Verbesserung des Bots mit Gesprächsinhalten").check()
    page.get_by_role("button", name="Ich stimme zu").click()
    settings = page.locator("#purpose-settings")
    box = settings.get_by_label("Verbesserung des Bots mit Gesprächsinhalten")
    expect(settings).to_be_visible()
    expect(settings).to_contain_text("Freiwillig, jederzeit änderbar")
    expect(box).to_be_checked()

    # when: they untick it under the conversation
    box.uncheck()

    # then: it is saved, said so, and the chat goes on; a reload shows the stored choice
    expect(page.locator("#chat-announcer")).to_contain_text("Ihre Auswahl ist gespeichert")
    assert _consent_purposes() == ["support_chat"]
    page.get_by_label("Name").fill("Erika Mustermann")
    page.get_by_label("E-Mail").fill("erika@example.org")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#composer")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "chat-purpose-unticked.png", full_page=True)
    page.reload()
    expect(page.locator("#purpose-settings")).to_be_visible()
    expect(box).not_to_be_checked()
