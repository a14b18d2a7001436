"""No customer page sets a cookie before consent (TDDDG § 25): not the chat, not the
privacy policy, not the data request pages, not their forms or language switch."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

CUSTOMER_PAGES = [
    "/",
    "/chat/",
    "/chat/?embed=1",
    "/chat/?language=en",
    "/privacy/policy/",
    "/privacy/policy/en/",
    "/privacy/policy/?language=en",
    "/privacy/requests/",
    "/privacy/requests/?language=en",
    "/privacy/requests/sent/",
    "/privacy/requests/verify/some-token/",
    "/privacy/identity/verify/some-token/",
    "/privacy/exports/some-token/",
    "/privacy/no-such-page/",
    "/chat/consent/some-token/",
    "/help/",
    "/help/?q=Versand&language=en",
    "/help/shipping_costs/",
    "/contact/",
    "/contact/?embed=1",
]


@pytest.fixture
def customer_client() -> Client:
    # CSRF enforced as in production: the customer forms must work without a token.
    return Client(enforce_csrf_checks=True)


def _cookies(response) -> list[str]:
    headers = [name for name, _value in response.items() if name.lower() == "set-cookie"]
    return sorted(response.cookies) + headers


@pytest.mark.parametrize("path", CUSTOMER_PAGES)
def test_a_customer_page_sets_no_cookie(customer_client, policies, path):
    response = customer_client.get(path)

    assert response.status_code in (200, 302, 404, 410)
    assert _cookies(response) == []


@pytest.mark.parametrize(
    "path, data",
    [
        ("/privacy/requests/", {"kind": "access", "email": "erika@example.org"}),
        ("/privacy/requests/", {"kind": "access", "email": "not an email"}),
        ("/privacy/requests/verify/some-token/", {}),
        ("/privacy/identity/verify/some-token/", {}),
        ("/chat/consent/some-token/", {"purpose": "bot_improvement", "granted": "0"}),
        ("/help/no-such-article/", {"helpful": "yes"}),
        ("/contact/", {"subject": "Versand", "message": "Was kostet das?", "check": "1"}),
        ("/contact/", {"subject": "Versand", "message": "Was kostet das?"}),
        ("/contact/suggestions/", {"text": "Was kostet der Versand?", "language": "de"}),
        ("/contact/answered/", {"article": "shipping_costs"}),
    ],
)
def test_a_customer_form_works_without_csrf_cookie_and_sets_none(
    customer_client, policies, path, data
):
    response = customer_client.post(path, data)

    assert response.status_code in (200, 302, 400, 404, 410)  # not 403: no token needed
    assert _cookies(response) == []


def test_the_language_switch_is_a_link_that_sets_no_cookie(customer_client, policies):
    english = customer_client.get("/privacy/requests/?language=en")
    german = customer_client.get("/privacy/requests/?language=de")

    assert b"Your data" in english.content and b'href="?language=de"' in english.content
    assert b"Ihre Daten" in german.content
    assert b"set_language" not in english.content and b"i18n/setlang" not in english.content
    assert _cookies(english) == _cookies(german) == []


def test_a_request_made_in_english_is_answered_in_english(customer_client, policies):
    from privacy.models import DataRequest

    customer_client.post(
        "/privacy/requests/?language=en", {"kind": "access", "email": "erika@example.org"}
    )

    assert DataRequest.objects.get().language == "en"


def test_the_language_parameter_does_not_switch_staff_pages(client, policies, django_user_model):
    officer = django_user_model.objects.create_superuser("dpo", "dpo@example.org", "pw")
    client.force_login(officer)

    page = client.get("/privacy/notice/?language=en", HTTP_ACCEPT_LANGUAGE="de")

    assert page["Content-Language"] == "de"
