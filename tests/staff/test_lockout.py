"""Lock-out after failed sign-ins (django-axes): by account name and by address, on the
inbox and admin sign-in and on API keys; the same answer whether or not an account exists."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings

from platform_core.api_auth import api_key_create
from privacy.models import AuditEvent
from tests.factories import AgentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("limit_three")]


@pytest.fixture
def limit_three():
    with override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=timedelta(minutes=10)):
        yield


def attempt(client, username, password="wrong", path="/inbox/login/", address="10.0.0.1"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def cool_off_passes():
    """The cool-down elapsed: every recorded failure is older than it."""
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )


def test_the_third_failure_locks_the_account_out_even_with_the_right_password(client):
    agent = AgentFactory()
    assert attempt(client, agent.username).status_code == 200
    assert attempt(client, agent.username, address="10.0.0.2").status_code == 200
    locked = attempt(client, agent.username, address="10.0.0.3")
    assert locked.status_code == 429
    assert b'id="locked-out"' in locked.content
    assert int(locked["Retry-After"]) == 600
    # by the account name: from yet another address, the right password does not help
    right = attempt(client, agent.username, "test-password", address="10.0.0.4")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_after_the_cool_down_the_right_password_signs_in(client):
    agent = AgentFactory()
    for _ in range(3):
        attempt(client, agent.username)
    cool_off_passes()
    response = attempt(client, agent.username, "test-password")
    assert response.status_code == 302 and response["Location"] == "/inbox/"


def test_an_address_trying_many_names_is_locked_out(client):
    agent = AgentFactory()
    for name in ("alice", "bob", "carol"):
        attempt(client, name)
    assert attempt(client, agent.username, "test-password").status_code == 429
    # another address is not affected
    assert attempt(client, agent.username, "test-password", address="10.9.9.9").status_code == 302


def test_a_missing_account_is_locked_out_exactly_like_an_existing_one(client):
    agent = AgentFactory()
    pages = {}
    for name, address in ((agent.username, "10.0.1.1"), ("nobody-here", "10.0.2.1")):
        for n in range(3):
            response = attempt(client, name, address=f"{address[:-1]}{n + 1}")
        pages[name] = (response.status_code, response.content, response["Retry-After"])
    assert pages[agent.username] == pages["nobody-here"]


def test_the_admin_sign_in_counts_too(client):
    agent = AgentFactory()
    for _ in range(3):
        attempt(client, agent.username, path="/admin/login/")
    assert attempt(client, agent.username, "test-password").status_code == 429


def test_a_lock_out_is_audited_without_the_typed_name(client):
    agent = AgentFactory()
    for _ in range(3):
        attempt(client, agent.username)
    event = AuditEvent.objects.get(action="staff.login_locked_out")
    assert event.target_id == str(agent.pk)
    assert agent.username not in str(event.details) + event.reason


class TestApiKeys:
    def test_failed_keys_lock_the_address_out_with_the_api_error(self, client):
        key, secret = api_key_create(
            user=AgentFactory(), name="shop", scopes=["conversations:read"]
        )
        statuses = [
            client.get(
                "/api/v1/inbox/conversations/",
                HTTP_AUTHORIZATION=f"Api-Key sd_{'x' * 8}_{n}",
                REMOTE_ADDR="10.1.1.1",
            ).status_code
            for n in range(3)
        ]
        assert statuses == [401, 401, 429]  # the failure that reaches the limit locks out
        locked = client.get(
            "/api/v1/inbox/conversations/",
            HTTP_AUTHORIZATION=f"Api-Key {secret}",
            REMOTE_ADDR="10.1.1.1",
        )
        assert locked.status_code == 429
        assert locked.json()["code"] == "locked_out"
        # the key itself still works from elsewhere
        other = client.get(
            "/api/v1/inbox/conversations/",
            HTTP_AUTHORIZATION=f"Api-Key {secret}",
            REMOTE_ADDR="10.1.1.2",
        )
        assert other.status_code == 200, other.json()

    def test_guessing_one_key_locks_that_key_out_from_every_address(self, client):
        key, secret = api_key_create(
            user=AgentFactory(), name="shop", scopes=["conversations:read"]
        )
        wrong = f"sd_{key.prefix}_not-the-secret"
        for n in range(3):
            client.get(
                "/api/v1/inbox/conversations/",
                HTTP_AUTHORIZATION=f"Api-Key {wrong}",
                REMOTE_ADDR=f"10.2.0.{n}",
            )
        response = client.get(
            "/api/v1/inbox/conversations/",
            HTTP_AUTHORIZATION=f"Api-Key {secret}",
            REMOTE_ADDR="10.2.1.1",
        )
        assert response.status_code == 429
        cool_off_passes()
        response = client.get(
            "/api/v1/inbox/conversations/",
            HTTP_AUTHORIZATION=f"Api-Key {secret}",
            REMOTE_ADDR="10.2.1.1",
        )
        assert response.status_code == 200


def test_the_admin_cleans_up_expired_attempts_and_says_so_in_german(admin_client):
    AgentFactory(username="mia")
    attempt(admin_client, "mia")
    cool_off_passes()

    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {
            "action": "cleanup_expired_attempts",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
        },
        HTTP_ACCEPT_LANGUAGE="de",
        follow=True,
    )

    assert response.status_code == 200
    assert "1 abgelaufener Zugriffsversuch wurde entfernt." in response.content.decode()
    assert not AccessAttempt.objects.exists()
