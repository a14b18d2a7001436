"""Server-rendered forms mark a field in error (aria-invalid) and link its message
(aria-describedby), so a screen reader reads the message with the field."""

import re

import pytest


def field(page: str, field_id: str) -> str:
    return re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page).group(0)


@pytest.mark.django_db
def test_a_failed_sign_in_marks_both_fields_and_links_the_message(client, agent):
    page = client.post(
        "/inbox/login/", {"username": agent.username, "password": "wrong"}
    ).content.decode()
    assert 'id="login-error"' in page
    for field_id in ("id_username", "id_password"):
        tag = field(page, field_id)
        assert 'aria-invalid="true"' in tag and 'aria-describedby="login-error"' in tag


@pytest.mark.django_db
def test_the_sign_in_form_is_not_marked_before_a_try(client):
    page = client.get("/inbox/login/").content.decode()
    assert "aria-invalid" not in page


@pytest.mark.django_db
def test_an_invalid_address_in_the_data_request_is_marked_and_linked(client):
    page = client.post(
        "/privacy/requests/",
        {"kind": "access", "email": "keine-adresse"},
        HTTP_ACCEPT_LANGUAGE="de",
    ).content.decode()
    tag = field(page, "id_email")
    assert 'aria-invalid="true"' in tag and 'aria-describedby="id_email_error"' in tag
    assert re.search(r'<ul class="errorlist" id="id_email_error"><li>[^<]+</li>', page)


@pytest.mark.django_db
def test_a_missing_choice_links_the_group_to_its_message(client):
    page = client.post(
        "/privacy/requests/", {"email": "erika@example.org"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert '<fieldset aria-describedby="id_kind_error">' in page
    assert re.search(r'<ul class="errorlist" id="id_kind_error"><li>[^<]+</li>', page)
