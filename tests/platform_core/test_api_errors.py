"""Every API error in the one JSON format, 404s included; pages keep Django's HTML."""

import json

import pytest
from rest_framework.test import APIClient

from staff import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"type", "code", "detail", "fields"}


@pytest.fixture
def client():
    client = APIClient()
    client.force_authenticate(UserFactory(role=roles.PRIVACY_OFFICER))
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-endpoint/",
        "/api/v1/privacy/processors/not-a-number/",
        "/api/v1/privacy/processors/1.5/",
        "/api/v1/inbox/conversations/%C2%84/",
        "/api/nothing",
    ],
)
def test_an_unknown_api_url_is_a_json_404_in_the_error_format(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert (body["type"], body["code"]) == ("not_found", "not_found")


def test_an_object_that_does_not_exist_is_a_json_404(client):
    response = client.get("/api/v1/privacy/processors/999999/")

    assert response.status_code == 404 and set(response.json()) == ERROR_KEYS


def test_a_page_outside_the_api_keeps_the_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_json_too(rf):
    from platform_core.api_errors import server_error

    response = server_error(rf.get("/api/v1/me/"))

    assert response.status_code == 500
    assert set(json.loads(response.content)) == ERROR_KEYS


def test_a_second_active_policy_version_of_a_language_is_a_400_not_a_server_error(client, policies):
    response = client.post(
        "/api/v1/privacy/policy-versions/",
        {
            "language": "de",
            "version": "2027-01",
            "title": "Datenschutz",
            "summary": "Kurz",
            "text": "Lang",
            "is_active": True,
        },
        format="json",
    )

    body = response.json()
    assert response.status_code == 400, body
    assert body["type"] == "validation_error" and body["fields"]
