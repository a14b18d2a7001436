"""Password reset by e-mail (Django's views, our templates and mail settings)."""

import re

import pytest
from django.core import mail

from staff.models import StaffSession
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_a_reset_link_sets_a_new_password_and_ends_every_session(client):
    agent = AgentFactory(email="anna@example.org")
    other_browser = type(client)()
    other_browser.post("/inbox/login/", {"username": agent.username, "password": "test-password"})
    assert StaffSession.objects.filter(user=agent).count() == 1

    response = client.post("/staff/password-reset/", {"email": "anna@example.org"})
    assert response.status_code == 302 and response["Location"] == "/staff/password-reset/sent/"
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/staff/password-reset/\S+/)", mail.outbox[0].body).group(1)

    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Lange-Passphrase-2026", "new_password2": "Lange-Passphrase-2026"},
    )
    assert done.status_code == 302 and done["Location"] == "/staff/password-reset/done/"

    agent.refresh_from_db()
    assert agent.check_password("Lange-Passphrase-2026")
    assert not StaffSession.objects.filter(user=agent).exists()
    assert other_browser.get("/inbox/").status_code == 302
    # the link works once
    assert b"no longer valid" in client.get(link, follow=True, HTTP_ACCEPT_LANGUAGE="en").content


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post("/staff/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == "/staff/password-reset/sent/"
    assert mail.outbox == []


def test_a_weak_password_is_refused_by_the_validators(client):
    agent = AgentFactory(email="anna@example.org")
    client.post("/staff/password-reset/", {"email": "anna@example.org"})
    link = re.search(r"http://testserver(/staff/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and b'role="alert"' in response.content
    agent.refresh_from_db()
    assert agent.check_password("test-password")
