"""/api/docs/ in a real browser under the site's CSP: Swagger UI starts and lists the operations."""

from pathlib import Path

import pytest

from tests.factories import AgentFactory
from tests.processes import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, daphne_server
from tests.test_accessibility_browser import axe_violations


@pytest.fixture
def live_site(transactional_db, tmp_path):
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # An agent: signs in without a second factor (an admin would be sent to enrol one).
    AgentFactory(username="ada")
    with daphne_server(tmp_path / "daphne.log") as base_url:
        yield base_url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_api_docs_list_the_operations_under_the_csp(live_site):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        found = []
        # First under the CSP as served, then with it bypassed so that axe may be injected.
        for bypass_csp in (False, True):
            page = browser.new_context(locale="de-DE", bypass_csp=bypass_csp).new_page()
            blocked: list[str] = []
            page.on("console", lambda m, blocked=blocked: blocked.append(m.text))
            page.goto(f"{live_site}/inbox/login/")
            page.locator("#id_username").fill("ada")
            page.locator("#id_password").fill("test-password")
            page.locator("#id_password").press("Enter")
            page.wait_for_url(f"{live_site}/inbox/")

            page.goto(f"{live_site}/api/docs/")

            operation = page.locator(".opblock-summary-path", has_text="/api/v1/me/")
            expect(operation.first).to_be_visible()
            assert page.locator(".opblock").count() > 5
            assert page.locator("html").get_attribute("lang") == "de"
            assert not [text for text in blocked if "Content Security" in text], blocked
            if bypass_csp:
                found = axe_violations(page, "/api/docs/")
            else:
                page.screenshot(path=ARTIFACTS / "api-docs.png")
        browser.close()
    assert not found, "\n".join(found)
