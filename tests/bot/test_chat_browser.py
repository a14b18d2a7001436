"""The customer chat in a real browser (Debian's Chromium, driven by Playwright).

Consent, identification, a knowledge-base question and its answer, the
hand-over to a person. Screenshots go to var/test-artifacts/.
"""

import shutil
from pathlib import Path

import pytest
from channels.testing import ChannelsLiveServerTestCase
from django.conf import settings

from bot.services import DEMO_KNOWLEDGE_BASE, knowledge_base_import_file
from tests.factories import PolicyVersionFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.browser
class ChatInBrowserTest(ChannelsLiveServerTestCase):
    serialized_rollback = False

    def setUp(self):
        assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
        for language in ("de", "en"):
            PolicyVersionFactory(language=language)
        knowledge_base_import_file(path=DEMO_KNOWLEDGE_BASE)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def test_consent_question_answer_and_handover(self):
        from playwright.sync_api import expect, sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(locale="de-DE", viewport={"width": 400, "height": 800})
            try:
                page.goto(f"{self.live_server_url}/chat/")
                expect(page.locator("#consent-panel")).to_be_visible()
                expect(page.locator("#consent-summary")).to_contain_text("Name")
                page.screenshot(path=ARTIFACTS / "chat-1-consent.png", full_page=True)

                page.get_by_role("button", name="Ich stimme zu").click()
                page.get_by_label("Name").fill("Erika Mustermann")
                page.get_by_label("E-Mail").fill("erika@example.org")
                page.get_by_role("button", name="Weiter").click()
                expect(page.locator("#composer")).to_be_visible()

                page.get_by_label("Ihre Nachricht").fill("Wie hoch sind die Versandkosten?")
                page.get_by_role("button", name="Senden").click()
                answer = page.locator(".msg-bot p").last
                expect(answer).to_contain_text("4,95")
                page.screenshot(path=ARTIFACTS / "chat-2-answer.png", full_page=True)

                page.get_by_role("button", name="Mit einer Person sprechen").click()
                expect(page.locator(".msg-system p").last).to_contain_text("Team")
                expect(page.locator("#chat-notice")).to_contain_text("Team")
                page.screenshot(path=ARTIFACTS / "chat-3-handover.png", full_page=True)
            finally:
                browser.close()
