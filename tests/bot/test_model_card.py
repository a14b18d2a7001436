"""The model card (admin and supervisor analytics): the held-back figures the gate
used as people read them, the thresholds, data per intent, confusion hot spots and the
history chart, with seeded models; nothing unredacted."""

import re

import pytest
from django.test import Client

from bot.learning import model_card_figures
from bot.models import BotModel
from bot.nlu.intents import HeldBackPredictions, IntentPrediction
from staff import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RAW = 0.8008130081300813


@pytest.fixture
def models():
    BotModel.objects.create(
        language="de",
        version=1,
        status=BotModel.Status.RETIRED,
        examples_count=60,
        metrics={"answer_precision": 0.75, "automation_rate": 0.5},
    )
    return BotModel.objects.create(
        language="de",
        version=2,
        status=BotModel.Status.ACTIVE,
        examples_count=81,
        metrics={
            "answer_precision": RAW,
            "automation_rate": 0.6172839506172839,
            "out_of_scope_recall": 0.9,
            "in_scope_accuracy": 0.85,
            "test_examples": 81,
            "calibration": "5-fold cross-validation",
            "keyword_baseline": {"answer_precision": 0.7, "automation_rate": 0.3},
            "tfidf_baseline": {
                "name": "tf-idf + logistic regression",
                "answer_precision": 0.7712,
                "in_scope_accuracy": 0.83,
            },
            "card": {
                "training_per_intent": {"order_change": 44, "order_cancel": 37},
                "held_back_examples": 81,
                "confusions": [
                    {
                        "intent": "order_change",
                        "predicted": "order_cancel",
                        "count": 3,
                        "examples": ["Kann [NAME] die Bestellung noch ändern?"],
                    }
                ],
            },
        },
        thresholds={"answer": 0.7123, "suggest": 0.4, "target_precision": 0.9},
    )


def _card(html: str) -> str:
    return re.search(r'<section class="card model-card".*?</section>', html, re.S).group(0)


@pytest.mark.parametrize(
    ("language", "precision", "automation", "threshold"),
    [("de", "80,1 %", "61,7 %", "71,2 %"), ("en", "80.1%", "61.7%", "71.2%")],
)
def test_the_admin_shows_the_model_card_with_figures_for_people(
    models, admin_client, language, precision, automation, threshold
):
    page = admin_client.get(
        f"/admin/bot/botmodel/{models.pk}/card/", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    card = _card(page)

    assert precision in card and automation in card and threshold in card
    assert "70,0 %" in card if language == "de" else "70.0%" in card  # the baseline beside it
    # ... and the tf-idf baseline trained on the same examples (issue 16)
    assert "77,1 %" in card if language == "de" else "77.1%" in card
    assert ("logistische Regression" if language == "de" else "logistic regression") in card
    assert str(RAW) not in page and "0,8008130081300813" not in page
    assert "order_change" in card and ">44<" in card and ">37<" in card
    assert "Kann [NAME] die Bestellung noch ändern?" in card
    assert "3×" in card
    assert "0 of 0" in card or "0 von 0" in card  # redaction reports on own data
    # The history chart: one polyline per figure across both versions, drawn inline.
    svg = re.search(r"<svg.*?</svg>", card, re.S).group(0)
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 4
    # Coordinates stay SVG numbers in German too ("24.0", never "24,0").
    coordinates = re.findall(r'\b(?:x|y|x1|y1|x2|y2|cx|cy)="([^"]*)"', svg)
    assert f"v2: {precision}" in svg
    assert coordinates and all(re.fullmatch(r"[0-9.]+", c) for c in coordinates), coordinates
    assert "v1" in svg and "v2" in svg and "<script" not in page.split("<svg")[1]
    assert "http://" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_a_model_trained_before_the_tfidf_baseline_shows_no_such_column(models, admin_client):
    old = BotModel.objects.get(version=1)

    card = _card(admin_client.get(f"/admin/bot/botmodel/{old.pk}/card/").content.decode())

    assert "logistic regression" not in card


def test_the_model_list_links_each_card(models, admin_client):
    page = admin_client.get("/admin/bot/botmodel/").content.decode()

    assert f"/admin/bot/botmodel/{models.pk}/card/" in page


def test_the_model_list_shows_rounded_percentages_in_the_readers_language(models, admin_client):
    german = admin_client.get("/admin/bot/botmodel/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = admin_client.get("/admin/bot/botmodel/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "80,1 %" in german and "61,7 %" in german and "0,8008" not in german
    assert "80.1 %" in english and "0.8008" not in english


def test_the_intent_list_shows_each_intents_title(knowledge_base, admin_client):
    from bot.models import IntentAnswer

    answer = IntentAnswer.objects.filter(language="de").select_related("intent").first()

    page = admin_client.get("/admin/bot/intent/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert answer.title in page and answer.intent.slug in page


def test_supervisor_analytics_show_the_active_models_card(models):
    client = Client()
    client.force_login(UserFactory(role=roles.SUPERVISOR))

    page = client.get("/inbox/analytics/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    card = _card(page)
    assert "Model card: de, version 2" in card and "80.1%" in card
    assert "<svg" in card


def test_an_agent_cannot_open_the_admin_card(models):
    client = Client()
    client.force_login(UserFactory(role=roles.AGENT))

    response = client.get(f"/admin/bot/botmodel/{models.pk}/card/")

    assert response.status_code == 403


def test_confusion_examples_pass_the_redaction_gate_again():
    held_back = HeldBackPredictions(
        examples=(
            ("Schreiben Sie an erika@example.org wegen der Bestellung", "order_change"),
            ("Bestellung stornieren bitte", "order_cancel"),
        ),
        predictions=(
            IntentPrediction(intent="order_cancel", confidence=0.6, top=(("order_cancel", 0.6),)),
            IntentPrediction(intent="order_cancel", confidence=0.9, top=(("order_cancel", 0.9),)),
        ),
        parts=(0, 0),
    )

    figures = model_card_figures(
        examples=[("a", "order_change"), ("b", "order_change"), ("c", "order_cancel")],
        held_back=held_back,
    )

    assert figures["training_per_intent"] == {"order_cancel": 1, "order_change": 2}
    [pair] = figures["confusions"]
    assert (pair["intent"], pair["predicted"], pair["count"]) == ("order_change", "order_cancel", 1)
    assert "erika@example.org" not in pair["examples"][0] and "[EMAIL]" in pair["examples"][0]
