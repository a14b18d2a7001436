"""The analytics page in a real browser, on a phone and on a desktop: the charts are drawn
from the seeded week (tests/agents/analytics_seed.py), fit a 360 px screen without
sideways scrolling, and offer their figures as a table. Screenshots go to
var/test-artifacts/ for review by eye."""

from pathlib import Path

import pytest

from agents.models import AgentProfile
from bot.models import Conversation
from staff import roles
from tests.agents.analytics_seed import analytics_seed
from tests.factories import AgentFactory, QueueFactory, UserFactory
from tests.processes import ARTIFACTS, CHROMIUM, daphne_server


@pytest.fixture
def live_analytics(knowledge_base, transactional_db, tmp_path):
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    agent = AgentFactory(username="anna")
    AgentProfile.objects.create(user=agent, display_name="Anna", availability="online")
    QueueFactory(name="Kundenservice", members=[agent])
    UserFactory(username="sabine", role=roles.SUPERVISOR)
    analytics_seed(agent=agent)
    with daphne_server(tmp_path / "daphne.log") as base_url:
        yield base_url


def _signed_in(browser, base_url, *, locale, viewport):
    context = browser.new_context(locale=locale, viewport=viewport)
    page = context.new_page()
    page.goto(f"{base_url}/inbox/login/")
    page.locator("#id_username").fill("sabine")
    page.locator("#id_password").fill("test-password")
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{base_url}/inbox/")
    page.goto(f"{base_url}/inbox/analytics/")
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_charts_are_drawn_from_the_seeded_week(live_analytics, browser):
    from playwright.sync_api import expect

    page = _signed_in(
        browser, live_analytics, locale="de-DE", viewport={"width": 1280, "height": 900}
    )

    channels = page.locator("#chart-channels rect.chart-bar")
    expect(channels).to_have_count(len(Conversation.Channel))  # every channel, quiet ones at 0
    web = page.locator('#chart-channels rect[data-label="Website-Chat"]')
    expect(web).to_have_attribute("data-value", "4")
    # The bar of 4 conversations is four times as long as the bar of 1.
    widths = {
        label: float(
            page.locator(f'#chart-channels rect[data-label="{label}"]').get_attribute("width")
        )
        for label in ("Website-Chat", "Telegram")
    }
    assert widths["Website-Chat"] == pytest.approx(4 * widths["Telegram"], rel=0.01)
    expect(page.locator("#chart-daily polyline")).to_have_count(3)
    expect(page.locator("#chart-hours rect.chart-bar")).to_have_count(24)
    expect(page.locator("#chart-satisfaction-agents rect.chart-bar")).to_have_attribute(
        "data-value", "3,0 von 5"
    )
    expect(
        page.locator('#chart-top-intents rect[data-label="Bestellung ändern"]')
    ).to_have_attribute("data-value", "3")
    expect(page.locator('[data-kpi="automation_rate"]')).to_have_text("50 %")
    # The table view: the same figures, for screen readers and exact reading.
    page.locator("#chart-channels summary").click()
    expect(page.locator("#chart-channels table tbody tr").first).to_contain_text("4")
    page.screenshot(path=ARTIFACTS / "analytics-desktop-de.png", full_page=True)
    page.screenshot(path=ARTIFACTS / "analytics-desktop-de-top.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_charts_fit_a_phone(live_analytics, browser):
    from playwright.sync_api import expect

    page = _signed_in(
        browser, live_analytics, locale="en-US", viewport={"width": 360, "height": 780}
    )

    expect(page.locator("#chart-reasons rect.chart-bar")).to_have_count(3)
    # Nothing scrolls sideways; each chart is as wide as its card, its text readable.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    box = page.locator("#chart-reasons svg").bounding_box()
    assert 250 <= box["width"] <= 360
    font = page.evaluate(
        "() => document.querySelector('#chart-reasons text').getBoundingClientRect().height"
    )
    assert font >= 9
    expect(page.locator('[data-kpi="answer_precision"]')).to_have_text("67%")
    page.screenshot(path=ARTIFACTS / "analytics-phone-en.png", full_page=True)
    for chart in ("daily", "reasons", "hours", "first-response", "satisfaction-agents"):
        page.locator(f"#chart-{chart}").screenshot(path=ARTIFACTS / f"analytics-phone-{chart}.png")
