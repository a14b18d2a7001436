"""axe-core on every customer, agent and privacy page, in German and English, desktop and phone.

axe-core is the npm package's own build, vendored under tests/vendor/axe-core/ (MPL-2.0,
licence beside it) and injected into the page: nothing is loaded from a CDN. The test
fails on any violation of impact "serious" or "critical" (WCAG 2.0/2.1/2.2 A and AA rules
and axe's best practices) and on a page that scrolls sideways (WCAG 1.4.10 reflow); the
list it prints names the page, the state, the rule and the elements.
"""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from agents.models import AgentProfile
from agents.services import assignment_route
from bot.chat import conversation_escalate
from bot.consent_link import consent_purposes_link
from bot.services import message_append
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    QueueFactory,
    UserFactory,
    web_consent,
)
from tests.processes import ARTIFACTS, CHROMIUM, daphne_server
from tests.staff.second_factor import recovery_codes_for

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}
LOCALES = {"de": "de-DE", "en": "en-US"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
NARROW_PHONE = {"width": 360, "height": 740}
IDENTIFY = {
    "de": ("Weiter", "Ihre Nachricht", "Senden"),
    "en": ("Continue", "Your message", "Send"),
}
AGREE = {"de": "Ich stimme zu", "en": "I agree"}
# The outermost elements that reach past the right edge of the viewport, for the message.
WIDEST_ELEMENTS = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => !e.parentElement
    || e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
  .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''))
  .join(', ')"""


@pytest.fixture
def live_site(
    policies, knowledge_base, transactional_db, tmp_path, django_capture_on_commit_callbacks
):
    """daphne on the test database with a staff member who may see every page, and one
    escalated conversation for the conversation page."""
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin = UserFactory(username="ada", is_superuser=True)
    agent = AgentFactory(username="anna")
    AgentProfile.objects.create(user=admin, display_name="Ada", availability="online")
    AgentProfile.objects.create(user=agent, display_name="Anna", availability="online")
    QueueFactory(name="Kundenservice", members=[admin, agent])
    # With a consent, so that its mails' page for the optional purpose can be checked.
    consent = web_consent(policies["de"], "bot_improvement")
    conversation = ConversationFactory(language="de", consent=consent)
    message_append(conversation=conversation, sender="customer", text="Wo ist mein Paket?")
    message_append(conversation=conversation, sender="bot", text="Ich verbinde Sie.")
    conversation_escalate(conversation=conversation, reason="customer_request")
    with django_capture_on_commit_callbacks(execute=True):
        assignment_route(conversation_id=conversation.pk)
    # Ada, a superuser, confirms each sign-in with a second factor: one recovery code each.
    codes = recovery_codes_for(admin, count=4)
    with daphne_server(tmp_path / "daphne.log") as base_url:
        yield base_url, conversation, codes


def sideways_scroll(page, where: str) -> list[str]:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow <= 0:
        return []
    widest = page.evaluate(WIDEST_ELEMENTS)
    return [f"{where}: the page scrolls sideways by {overflow} px ({widest})"]


def axe_violations(page, where: str) -> list[str]:
    """The serious and critical violations on the page as it is now, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    results = page.evaluate(
        "tags => axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    found = []
    found += sideways_scroll(page, where)
    if page.viewport_size["width"] == VIEWPORTS["phone"]["width"]:
        # The narrowest common phone: reflow only (axe's result does not change with it).
        page.set_viewport_size(NARROW_PHONE)
        found += sideways_scroll(page, where + " at 360 px")
        page.set_viewport_size(VIEWPORTS["phone"])
    for violation in results["violations"]:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        found.append(f"{where}: {violation['id']} ({violation['impact']}) on {targets}")
    return found


def _chat_states(page, base_url: str, language: str, where: str) -> list[str]:
    """The chat in each of its states: consent, identification (with a field error),
    the message box, an answer and the hand-over."""
    from playwright.sync_api import expect

    continue_label, message_label, send_label = IDENTIFY[language]
    found = []
    page.goto(f"{base_url}/chat/?language={language}")
    expect(page.locator("#consent-panel")).to_be_visible()
    found += axe_violations(page, f"{where} /chat/ consent")
    page.get_by_role("button", name=AGREE[language]).click()
    expect(page.locator("#identify-form")).to_be_visible()
    found += axe_violations(page, f"{where} /chat/ identification")
    page.locator("#identify-name").fill("Erika Mustermann")
    page.locator("#identify-email").fill("not-an-address")
    page.get_by_role("button", name=continue_label).click()
    expect(page.locator("#identify-email")).to_have_attribute("aria-invalid", "true")
    found += axe_violations(page, f"{where} /chat/ identification error")
    page.locator("#identify-email").fill("erika@example.org")
    page.get_by_role("button", name=continue_label).click()
    expect(page.locator("#composer")).to_be_visible()
    page.get_by_label(message_label).fill("Wie hoch sind die Versandkosten?")
    page.get_by_role("button", name=send_label, exact=True).click()
    expect(page.locator(".msg-bot")).to_have_count(2)  # the greeting, then the answer
    found += axe_violations(page, f"{where} /chat/ answer")
    page.locator("#escalate").click()
    expect(page.locator("#chat-notice")).not_to_be_empty()
    found += axe_violations(page, f"{where} /chat/ hand-over")
    page.goto(f"{base_url}/chat/?embed=1&language={language}")
    found += axe_violations(page, f"{where} /chat/?embed=1")
    return found


SHIPPING = {"de": "Was kostet der Versand?", "en": "How much is shipping?"}


def _contact_states(page, base_url: str, language: str, where: str) -> list[str]:
    """The contact form with the answers its script shows, and with the fields' errors."""
    from playwright.sync_api import expect

    found = []
    page.goto(f"{base_url}/contact/?language={language}")
    page.locator("#id_subject").press_sequentially(SHIPPING[language], delay=10)
    expect(page.locator("#contact-suggestions")).to_be_visible(timeout=5000)
    found += axe_violations(page, f"{where} /contact/ suggestions")
    page.locator("#contact-send").click()
    expect(page.locator("#id_consent")).to_have_attribute("aria-invalid", "true")
    found += axe_violations(page, f"{where} /contact/ errors")
    return found


def _axe_sees_a_violation(page, base_url: str) -> None:
    """The harness works: a nameless button is reported as a critical violation."""
    page.goto(f"{base_url}/chat/")
    page.evaluate(
        "() => document.querySelector('main').appendChild(document.createElement('button'))"
    )
    assert any("button-name (critical)" in line for line in axe_violations(page, "self-check"))


CUSTOMER_PAGES = [
    "/help/",
    "/help/?q=Versandkosten",
    "/help/shipping_costs/",
    "/help/shipping_costs/?voted=yes",
    "/contact/",
    "/contact/sent/",
    "/accessibility/",
    "/privacy/policy/",
    "/privacy/requests/",
    "/privacy/requests/sent/",
]
STAFF_PAGES = [
    "/inbox/",
    "/inbox/c/{conversation}/",
    "/inbox/canned/",
    "/inbox/teachings/",
    "/inbox/analytics/",
    "/privacy/dashboard/",
    "/privacy/notice/",
    "/privacy/activities/",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_serious_axe_violation_on_any_page(live_site, browser):
    from playwright.sync_api import expect

    base_url, conversation, codes = live_site
    found: list[str] = []
    checked = 0
    for language, locale in LOCALES.items():
        for viewport_name, viewport in VIEWPORTS.items():
            where = f"[{language} {viewport_name}]"
            # CSP is bypassed only so that the injected axe script may run.
            context = browser.new_context(locale=locale, viewport=viewport, bypass_csp=True)
            page = context.new_page()
            if not checked:
                _axe_sees_a_violation(page, base_url)
            found += _chat_states(page, base_url, language, where)
            checked += 6
            found += _contact_states(page, base_url, language, where)
            checked += 2
            consent_page = urlsplit(consent_purposes_link(conversation=conversation)).path
            for path in [*CUSTOMER_PAGES, f"{consent_page}?language={language}"]:
                response = page.goto(base_url + path)
                assert response.status == 200, path
                if path.startswith(consent_page):
                    shot = ARTIFACTS / f"a11y-consent-page-{language}-{viewport_name}.png"
                    page.screenshot(path=shot, full_page=True)
                assert page.locator("html").get_attribute("lang") == language, path
                found += axe_violations(page, f"{where} {path}")
                checked += 1

            page.goto(f"{base_url}/inbox/login/")
            found += axe_violations(page, f"{where} /inbox/login/")
            page.locator("#id_username").fill("ada")
            page.locator("#id_password").fill("test-password")
            page.locator("#id_password").press("Enter")
            page.wait_for_url(f"{base_url}/staff/two-factor/**")
            found += axe_violations(page, f"{where} /staff/two-factor/")
            page.locator("#id_code").fill(codes.pop())
            page.locator("#id_code").press("Enter")
            page.wait_for_url(f"{base_url}/inbox/")
            checked += 2
            for path in STAFF_PAGES:
                page.goto(base_url + path.format(conversation=conversation.public_id))
                expect(page.locator("main")).to_be_visible()
                assert page.locator("html").get_attribute("lang") == language, path
                found += axe_violations(page, f"{where} {path}")
                checked += 1
                if "/c/" in path:
                    shot = ARTIFACTS / f"a11y-conversation-{language}-{viewport_name}.png"
                    page.screenshot(path=shot, full_page=True)
            context.close()

    assert checked == 4 * (6 + 2 + len(CUSTOMER_PAGES) + 1 + 2 + len(STAFF_PAGES))
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)


# 200 % and 400 % zoom of a 1280 × 1024 screen: the page sees 640 and 320 CSS px (WCAG 1.4.10
# asks for reflow at 320 CSS px), drawn with two and four device pixels to a CSS pixel.
ZOOMS = {
    "200 %": {"viewport": {"width": 640, "height": 512}, "device_scale_factor": 2},
    "400 %": {"viewport": {"width": 320, "height": 256}, "device_scale_factor": 4},
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_chat_and_the_inbox_reflow_at_200_and_400_percent_zoom(live_site, browser):
    """No sideways scrolling of the page at either zoom, in the chat's states and on the
    inbox's list and conversation pages; the controls a person needs stay reachable."""
    from playwright.sync_api import expect

    base_url, conversation, codes = live_site
    found: list[str] = []
    for zoom, options in ZOOMS.items():
        context = browser.new_context(locale="de-DE", **options)
        page = context.new_page()
        page.goto(f"{base_url}/chat/?language=de")
        expect(page.locator("#consent-panel")).to_be_visible()
        found += sideways_scroll(page, f"[{zoom}] /chat/ consent")
        page.get_by_role("button", name=AGREE["de"]).click()
        expect(page.locator("#identify-form")).to_be_visible()
        found += sideways_scroll(page, f"[{zoom}] /chat/ identification")
        page.locator("#identify-name").fill("Erika Mustermann")
        page.locator("#identify-email").fill("erika@example.org")
        page.get_by_role("button", name=IDENTIFY["de"][0]).click()
        expect(page.locator("#composer")).to_be_visible()
        page.get_by_label(IDENTIFY["de"][1]).fill("Wie hoch sind die Versandkosten?")
        page.get_by_role("button", name=IDENTIFY["de"][2], exact=True).click()
        expect(page.locator(".msg-bot")).to_have_count(2)  # the greeting, then the answer
        found += sideways_scroll(page, f"[{zoom}] /chat/ answer")
        page.screenshot(path=ARTIFACTS / f"zoom-chat-{zoom[:3]}.png", full_page=True)

        page.goto(f"{base_url}/inbox/login/")
        page.locator("#id_username").fill("ada")
        page.locator("#id_password").fill("test-password")
        page.locator("#id_password").press("Enter")
        page.wait_for_url(f"{base_url}/staff/two-factor/**")  # ada is an admin
        page.locator("#id_code").fill(codes.pop())
        page.locator("#id_code").press("Enter")
        page.wait_for_url(f"{base_url}/inbox/")
        found += sideways_scroll(page, f"[{zoom}] /inbox/")
        page.goto(f"{base_url}/inbox/c/{conversation.public_id}/")
        expect(page.locator("main")).to_be_visible()
        found += sideways_scroll(page, f"[{zoom}] /inbox/c/…/")
        page.screenshot(path=ARTIFACTS / f"zoom-conversation-{zoom[:3]}.png", full_page=True)
        context.close()

    assert not found, "The page scrolls sideways when zoomed:\n" + "\n".join(found)
