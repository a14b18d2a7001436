"""The model card in a real browser (Debian's Chromium, driven by Playwright), as a
supervisor sees it in the analytics: seeded models, the figures with both baselines
beside them, the history chart drawn, and no personal data in the clear.
Screenshots go to var/test-artifacts/."""

from pathlib import Path

import pytest

from bot.models import BotModel
from bot.services import message_append
from staff import roles
from tests.factories import ConsentRecordFactory, ConversationFactory, UserFactory
from tests.processes import ARTIFACTS, CHROMIUM, daphne_server

RAW_NAME = "Erika Mustermann"


def _models_seed() -> None:
    for version, precision, automation in ((1, 0.81, 0.42), (2, 0.88, 0.51)):
        BotModel.objects.create(
            language="en",
            version=version,
            status=BotModel.Status.RETIRED,
            examples_count=70,
            metrics={"answer_precision": precision, "automation_rate": automation},
        )
    BotModel.objects.create(
        language="en",
        version=3,
        status=BotModel.Status.ACTIVE,
        examples_count=81,
        metrics={
            "answer_precision": 0.9512,
            "automation_rate": 0.6172,
            "out_of_scope_recall": 0.9,
            "in_scope_accuracy": 0.85,
            "test_examples": 81,
            "calibration": "5-fold cross-validation",
            "keyword_baseline": {"answer_precision": 0.7, "automation_rate": 0.3},
            "tfidf_baseline": {
                "name": "tf-idf + logistic regression",
                "answer_precision": 0.9023,
                "automation_rate": 0.5511,
                "in_scope_accuracy": 0.82,
                "out_of_scope_recall": 0.88,
            },
            "card": {
                "training_per_intent": {"order_change": 44, "order_cancel": 37},
                "held_back_examples": 81,
                "confusions": [
                    {
                        "intent": "order_change",
                        "predicted": "order_cancel",
                        "count": 3,
                        "examples": ["Can [NAME] still change the order?"],
                    }
                ],
            },
        },
        thresholds={"answer": 0.7123, "suggest": 0.4, "target_precision": 0.95},
    )
    # A customer's message with a name in it: its redacted copy is all the card may count.
    consent = ConsentRecordFactory(purposes=["bot_improvement", "support_chat"])
    conversation = ConversationFactory(language="en", consent=consent)
    message_append(
        conversation=conversation, sender="customer", text=f"My name is {RAW_NAME}, hello"
    )


@pytest.fixture
def live_analytics(policies, transactional_db, tmp_path):
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    UserFactory(username="sofia", role=roles.SUPERVISOR)
    _models_seed()
    with daphne_server(tmp_path / "daphne.log") as base_url:
        yield base_url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_supervisor_sees_the_model_card_with_figures_baselines_and_history(
    live_analytics, browser
):
    from playwright.sync_api import expect

    page = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_analytics}/inbox/login/")
    page.get_by_label("Username").fill("sofia")
    page.get_by_label("Password").fill("test-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_analytics}/inbox/")

    page.goto(f"{live_analytics}/inbox/analytics/")

    card = page.locator("section.model-card")
    card.scroll_into_view_if_needed()
    expect(card.get_by_role("heading", name="Model card: en, version 3")).to_be_visible()
    precision = card.locator('tr[data-figure="answer_precision"]')
    # ours, the keyword matcher, the tf-idf baseline: as people read them
    expect(precision).to_contain_text("95.1%")
    expect(precision).to_contain_text("70.0%")
    expect(precision).to_contain_text("90.2%")
    expect(
        card.get_by_role("columnheader", name="tf-idf + logistic regression (baseline)")
    ).to_be_visible()
    expect(card.get_by_text("Can [NAME] still change the order?")).to_be_visible()
    # The history chart is drawn: one line per figure through the three versions.
    chart = card.locator("figure.model-history svg")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline")).to_have_count(2)
    expect(chart.locator("circle")).to_have_count(6)
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    card.screenshot(path=ARTIFACTS / "model-card.png")

    text = page.content()
    assert RAW_NAME not in text and "0.9512" not in text
