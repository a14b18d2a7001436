"""A sign-in that names no page lands on the first page the user's role may see."""

import pytest

from staff import roles
from tests.factories import AgentFactory, UserFactory
from tests.staff.second_factor import totp_code, totp_device_for, totp_wait_for_fresh_step

pytestmark = pytest.mark.django_db
DASHBOARD = "/privacy/dashboard/"


def _sign_in(client, user):
    return client.post("/inbox/login/", {"username": user.username, "password": "test-password"})


def test_an_agent_lands_in_the_inbox(client):
    response = _sign_in(client, AgentFactory())

    assert response.status_code == 302 and response["Location"] == "/inbox/"


def test_a_privacy_officer_lands_on_the_privacy_dashboard_not_a_403(client):
    # given a privacy officer with a second factor
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    device = totp_device_for(officer)

    # when they sign in without naming a page, then confirm with a code
    assert _sign_in(client, officer)["Location"] == DASHBOARD
    totp_wait_for_fresh_step()
    confirmed = client.post("/staff/two-factor/", {"code": totp_code(device)})

    # then they land on the dashboard, which they may see
    assert confirmed["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200
    assert client.get("/inbox/").status_code == 403


@pytest.mark.parametrize(
    ("role", "start"),
    [
        (roles.AGENT, "/inbox/"),
        (roles.SUPERVISOR, "/inbox/"),
        (roles.ADMIN, "/inbox/"),
        (roles.PRIVACY_OFFICER, DASHBOARD),
    ],
)
def test_the_start_page_sends_each_role_to_its_page(client, role, start):
    client.force_login(UserFactory(role=role))

    response = client.get("/staff/")

    assert response.status_code == 302 and response["Location"] == start


def test_single_sign_on_lands_on_the_start_page(settings):
    from django.shortcuts import resolve_url

    assert resolve_url(settings.LOGIN_REDIRECT_URL) == "/staff/"
