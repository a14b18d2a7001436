"""The accessibility statement (BFSG): generated from configuration, in German and English,
linked from the customer pages."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading", "authority_intro"),
    [
        ("de", "Erklärung zur Barrierefreiheit", "Sie können sich an die Behörde wenden"),
        ("en", "Accessibility statement", "You can turn to the authority"),
    ],
)
def test_the_statement_names_the_operator_contact_and_authority(
    client, settings, language, heading, authority_intro
):
    settings.PRIVACY_CONTROLLER = "Beispiel GmbH, Hauptstraße 2, 10115 Berlin"
    settings.ACCESSIBILITY_CONTACT_EMAIL = "a11y@beispiel.example"
    settings.ACCESSIBILITY_CONTACT_PHONE = "+49 30 123456"
    settings.ACCESSIBILITY_MARKET_SURVEILLANCE = "MLBF, Magdeburg"
    settings.ACCESSIBILITY_STATEMENT_DATE = "2026-12-01"

    response = client.get("/accessibility/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page
    assert "Beispiel GmbH, Hauptstraße 2, 10115 Berlin" in page
    assert '<a href="mailto:a11y@beispiel.example">a11y@beispiel.example</a>' in page
    assert '<a href="tel:+49 30 123456">' in page
    assert authority_intro in page and "MLBF, Magdeburg" in page
    assert "2026" in page and "EN 301 549" in page


@pytest.mark.django_db
def test_without_a_phone_number_none_is_shown(client, settings):
    settings.ACCESSIBILITY_CONTACT_PHONE = ""
    page = client.get("/accessibility/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "tel:" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/chat/", "/privacy/requests/"])
def test_customer_pages_link_the_statement(client, policies, path):
    page = client.get(path, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<a href="/accessibility/">Barrierefreiheit</a>' in page
