"""Intent slugs and titles are shown to every customer: the admin, the knowledge-base API,
the import and `full_clean` refuse personal data in them (privacy.validators, built on the
redaction gate), with one translated message."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from bot.knowledge_base import KNOWLEDGE_BASE_FORMAT_VERSION, knowledge_base_import
from bot.models import Intent, IntentAnswer
from staff import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INTENT = {
    "slug": "refund",
    "topic": "orders",
    "titles": {"de": "Erstattung"},
    "answers": {"de": "Die Erstattung dauert 5 Tage."},
    "examples": {"de": ["Wann kommt mein Geld?"]},
}


def _raw_slugs_and_titles() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT slug FROM bot_intent")
        slugs = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT title FROM bot_intentanswer")
        titles = [row[0] for row in cursor.fetchall()]
    return " ".join(slugs + titles).lower()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "refund-anna-0171-2345678"),
        ("titles", {"de": "Erstattung für Herrn Schmidt"}),
        ("titles", {"de": "Rückruf an erika@example.org"}),
        # a surname in no name list: the recogniser checks titles too (as labels)
        ("titles", {"de": "Beschwerde über Hartvigsson"}),
    ],
)
def test_the_api_refuses_personal_data_in_slug_and_title(field, value):
    client = APIClient()
    client.force_authenticate(UserFactory(role=roles.SUPERVISOR))

    with translation.override("en"):
        response = client.post(
            "/api/v1/knowledge/intents/", {**INTENT, field: value}, format="json"
        )

    assert response.status_code == 400
    assert "personenbezogene Daten" in str(response.json()["fields"])  # German by default
    assert not Intent.objects.exists()
    stored = _raw_slugs_and_titles()
    assert "schmidt" not in stored and "anna" not in stored and "hartvigsson" not in stored


def test_the_api_accepts_ordinary_titles():
    client = APIClient()
    client.force_authenticate(UserFactory(role=roles.SUPERVISOR))

    response = client.post("/api/v1/knowledge/intents/", INTENT, format="json")

    assert response.status_code == 201


def test_the_import_refuses_a_title_with_a_name():
    entry = {
        "slug": "refund",
        "name": {"de": "Erstattung für Herrn Schmidt"},
        "answers": {"de": "x"},
    }

    with pytest.raises(ValidationError) as refused:
        knowledge_base_import(data={"version": KNOWLEDGE_BASE_FORMAT_VERSION, "intents": [entry]})

    assert "titles" in refused.value.message_dict
    assert not Intent.objects.exists()


def test_full_clean_refuses_and_the_message_is_translated():
    intent = Intent.objects.create(slug="refund")
    answer = IntentAnswer(intent=intent, language="de", title="Rechnung für Frau Weber", text="x")

    with translation.override("de"), pytest.raises(ValidationError) as refused:
        answer.full_clean()

    message = " ".join(refused.value.message_dict["title"])
    assert "personenbezogene Daten" in message and "ein Name" in message


def test_the_admin_refuses_a_slug_with_personal_data(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        "/admin/bot/intent/add/",
        {
            "slug": "rueckruf-0171-2345678",
            "topic": "",
            "is_active": "on",
            "answers-TOTAL_FORMS": "1",
            "answers-INITIAL_FORMS": "0",
            "answers-0-language": "de",
            "answers-0-title": "Rückruf für Herrn Schmidt",
            "answers-0-text": "Wir rufen zurück.",
            "examples-TOTAL_FORMS": "0",
            "examples-INITIAL_FORMS": "0",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200  # the form again, with its errors
    assert "personal data" in response.content.decode()
    assert not Intent.objects.exists()
