import pytest
from rest_framework.test import APIClient

from bot.models import ExampleQuestion, Intent
from platform_core.api_auth import api_key_create
from staff import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INTENT = {
    "slug": "gift_wrap",
    "topic": "orders",
    "titles": {"de": "Geschenkverpackung", "en": "Gift wrapping"},
    "answers": {"de": "Wir verpacken für 2 EUR.", "en": "We gift-wrap for 2 EUR."},
    "examples": {"de": ["Könnt ihr das als Geschenk verpacken?"], "en": ["Can you gift wrap it?"]},
}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def supervisor():
    return UserFactory(role=roles.SUPERVISOR)


def test_a_supervisor_creates_an_intent_and_reads_it_back(supervisor):
    client = _client(supervisor)

    created = client.post("/api/v1/knowledge/intents/", INTENT, format="json")
    fetched = client.get("/api/v1/knowledge/intents/gift_wrap/")

    assert created.status_code == 201
    assert fetched.json()["examples"]["de"] == ["Könnt ihr das als Geschenk verpacken?"]
    assert fetched.json()["titles"]["en"] == "Gift wrapping"


def test_an_existing_slug_is_a_clear_validation_error(supervisor):
    client = _client(supervisor)
    client.post("/api/v1/knowledge/intents/", INTENT, format="json")

    again = client.post("/api/v1/knowledge/intents/", INTENT, format="json")

    assert again.status_code == 400 and again.json()["type"] == "validation_error"


def test_put_replaces_the_examples(supervisor):
    client = _client(supervisor)
    client.post("/api/v1/knowledge/intents/", INTENT, format="json")

    client.put(
        "/api/v1/knowledge/intents/gift_wrap/",
        {**INTENT, "examples": {"de": ["Geschenkpapier möglich?"]}},
        format="json",
    )

    assert list(ExampleQuestion.objects.values_list("text", flat=True)) == [
        "Geschenkpapier möglich?"
    ]


def test_agents_read_but_do_not_edit_the_knowledge_base(agent):
    client = _client(agent)

    assert client.get("/api/v1/knowledge/intents/").status_code == 200
    assert client.post("/api/v1/knowledge/intents/", INTENT, format="json").status_code == 403


def test_a_read_only_key_cannot_write(supervisor):
    _key, secret = api_key_create(user=supervisor, name="shop", scopes=["knowledge:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    assert client.get("/api/v1/knowledge/intents/").status_code == 200
    assert client.post("/api/v1/knowledge/intents/", INTENT, format="json").status_code == 403


def test_json_export_round_trips_through_the_import(supervisor, knowledge_base):
    client = _client(supervisor)
    exported = client.get("/api/v1/knowledge/intents/export/").json()
    Intent.objects.all().delete()

    imported = client.post("/api/v1/knowledge/intents/import/", exported, format="json").json()
    again = client.post("/api/v1/knowledge/intents/import/", exported, format="json").json()

    assert imported["intents"] == len(exported["intents"]) >= 30
    assert again == {"intents": 0, "answers": 0, "examples": 0}


def test_csv_export_round_trips_through_the_import(supervisor, knowledge_base):
    client = _client(supervisor)
    csv_text = client.get("/api/v1/knowledge/intents/export-csv/").content.decode()
    examples_before = ExampleQuestion.objects.count()
    Intent.objects.all().delete()

    response = client.post("/api/v1/knowledge/intents/import/", csv_text, content_type="text/csv")

    assert response.status_code == 200
    assert ExampleQuestion.objects.count() == examples_before


@pytest.mark.parametrize(
    "csv_text",
    ["just,some,columns\n1,2,3\n", "slug,topic,language,field,text\nx,y,de,colour,red\n"],
)
def test_a_malformed_csv_is_refused_and_nothing_is_stored(supervisor, csv_text):
    response = _client(supervisor).post(
        "/api/v1/knowledge/intents/import/", csv_text, content_type="text/csv"
    )

    assert response.status_code == 400 and response.json()["detail"]
    assert not Intent.objects.exists()
