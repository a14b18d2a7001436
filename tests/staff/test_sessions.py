"""Staff sessions: tracked at sign-in, listed and ended by an admin, ended all at once by a
password change, a second-factor reset, a deactivation or a removed role, and after idling."""

import time

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.utils import timezone

from event_pipeline import events, outbox
from privacy.models import AuditEvent
from staff import roles
from staff.middleware import LAST_SEEN_SESSION_KEY
from staff.models import StaffSession
from staff.services import staff_session_end, staff_sessions_expire_idle
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def closes(monkeypatch):
    """The groups sent `staff.close`, instead of sending it."""
    sent: list[str] = []

    def group_send(group, message):
        if message.get("type") == "staff.close":
            sent.append(group)

    monkeypatch.setattr(outbox, "group_send", group_send)
    return sent


def sign_in(client, user, browser="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"):
    response = client.post(
        "/inbox/login/",
        {"username": user.username, "password": "test-password"},
        HTTP_USER_AGENT=browser,
    )
    assert response.status_code == 302
    return StaffSession.objects.get(session_key=client.session.session_key)


def signed_out(client) -> bool:
    response = client.get("/inbox/")
    return response.status_code == 302 and response["Location"].startswith("/inbox/login/")


def test_a_sign_in_is_recorded_with_its_browser_and_a_sign_out_forgets_it(client):
    agent = AgentFactory()
    staff_session = sign_in(client, agent)
    assert staff_session.user == agent and "Firefox" in staff_session.browser
    client.post("/inbox/logout/")
    assert not StaffSession.objects.filter(pk=staff_session.pk).exists()


def test_an_admin_sees_the_active_sessions(client, admin_client):
    agent = AgentFactory(username="anna")
    sign_in(client, agent)
    page = admin_client.get("/admin/staff/staffsession/").content.decode()
    assert "anna" in page and "Firefox" in page


def test_an_admin_ends_one_session_and_its_sockets_close(
    client, admin_client, closes, django_capture_on_commit_callbacks
):
    agent = AgentFactory()
    first = sign_in(client, agent)
    other_browser = type(client)()
    second = sign_in(other_browser, agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/staff/staffsession/",
            {"action": "end_sessions", "_selected_action": [first.pk]},
        )
    assert response.status_code == 302

    assert signed_out(client)
    assert not signed_out(other_browser)
    assert closes == [events.staff_session_group(first.session_key)]
    assert events.staff_session_group(second.session_key) not in closes
    event = AuditEvent.objects.get(action="staff.session_ended")
    assert event.target_id == str(agent.pk) and event.acting_user is not None


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda user: (user.set_password("N3w-long-passphrase"), user.save()), id="password"
        ),
        pytest.param(lambda user: (setattr(user, "is_active", False), user.save()), id="disabled"),
        pytest.param(
            lambda user: user.groups.remove(Group.objects.get(name=roles.AGENT)), id="role-removed"
        ),
        pytest.param(
            lambda user: Group.objects.get(name=roles.AGENT).user_set.remove(user),
            id="role-removed-from-the-group",
        ),
    ],
)
def test_every_session_of_the_user_ends(client, change, closes, django_capture_on_commit_callbacks):
    agent = AgentFactory()
    sign_in(client, agent)
    other_browser = type(client)()
    sign_in(other_browser, agent)

    with django_capture_on_commit_callbacks(execute=True):
        change(agent)

    assert not StaffSession.objects.filter(user=agent).exists()
    assert signed_out(client) and signed_out(other_browser)
    assert events.staff_group(agent.pk) in closes
    assert AuditEvent.objects.filter(action="staff.sessions_ended").exists()


def test_adding_a_role_ends_nothing(client):
    agent = AgentFactory()
    sign_in(client, agent)
    agent.groups.add(Group.objects.get(name=roles.SUPERVISOR))
    assert StaffSession.objects.filter(user=agent).exists()


@override_settings(STAFF_SESSION_IDLE_MINUTES=30)
def test_an_idle_session_ends_at_its_next_request(client):
    agent = AgentFactory()
    sign_in(client, agent)
    assert client.get("/inbox/").status_code == 200
    session = client.session
    session[LAST_SEEN_SESSION_KEY] = time.time() - 31 * 60
    session.save()
    response = client.get("/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/inbox/login/")
    assert not StaffSession.objects.filter(user=agent).exists()


@override_settings(STAFF_SESSION_IDLE_MINUTES=30)
def test_idle_sessions_end_without_a_request(client, closes, django_capture_on_commit_callbacks):
    agent = AgentFactory()
    staff_session = sign_in(client, agent)
    busy = sign_in(type(client)(), AgentFactory())
    StaffSession.objects.filter(pk=staff_session.pk).update(
        last_seen_at=timezone.now() - timezone.timedelta(minutes=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_sessions_expire_idle() == 1
    assert signed_out(client)
    assert closes == [events.staff_session_group(staff_session.session_key)]
    assert StaffSession.objects.filter(pk=busy.pk).exists()
    # run twice: nothing more to do
    assert staff_sessions_expire_idle() == 0


def test_ending_an_already_ended_session_is_harmless(client):
    staff_session = sign_in(client, AgentFactory())
    staff_session_end(staff_session=staff_session, acting_user=None)
    staff_session_end(staff_session=staff_session, acting_user=None)
    assert signed_out(client)
