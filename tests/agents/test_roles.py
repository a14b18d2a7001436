import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from agents.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_AUTHENTICATED, InboxConsumer
from staff import roles
from tests.factories import QueueFactory, UserFactory


@pytest.mark.django_db
def test_every_role_exists_with_its_permissions():
    for role, codes in roles.ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        stored = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert stored == set(codes), role


@pytest.mark.django_db
def test_roles_sync_is_idempotent():
    roles.roles_sync()
    roles.roles_sync()

    assert Group.objects.filter(name__in=roles.ROLE_PERMISSIONS).count() == 4


@pytest.mark.django_db
def test_only_supervisors_see_every_queue(queue):
    agent = queue.members.get()
    other_queue = QueueFactory()
    supervisor = UserFactory(role=roles.SUPERVISOR)

    assert agent.has_perm("agents.view_queue") and not agent.has_perm("agents.view_all_queues")
    assert supervisor.has_perm("agents.view_all_queues")
    assert not agent.has_perm("privacy.erase_personal_data")
    assert other_queue.pk


@pytest.mark.django_db
class TestInboxPage:
    def test_an_agent_sees_their_queues(self, queue):
        client = Client()
        client.force_login(queue.members.get())
        other = QueueFactory(name="Andere Queue")

        response = client.get("/inbox/")

        assert response.status_code == 200
        assert queue.name in response.text and other.name not in response.text

    def test_a_privacy_officer_is_forbidden(self):
        client = Client()
        client.force_login(UserFactory(role=roles.PRIVACY_OFFICER))

        assert client.get("/inbox/").status_code == 403

    def test_an_anonymous_visitor_is_sent_to_the_login(self):
        response = Client().get("/inbox/")

        assert response.status_code == 302 and "/inbox/login/" in response["Location"]


class _ScopeUser:
    """Puts a given user into the scope, as AuthMiddlewareStack would for a session."""

    def __init__(self, app, user):
        self.app, self.user = app, user

    async def __call__(self, scope, receive, send):
        return await self.app({**scope, "user": self.user}, receive, send)


@pytest.mark.django_db(transaction=True)
class TestInboxSocket:
    async def _connect(self, user):
        from asgiref.sync import sync_to_async
        from django.contrib.auth.models import AnonymousUser

        user = user if user is not None else AnonymousUser()
        await sync_to_async(lambda: user.is_authenticated)()
        app = _ScopeUser(InboxConsumer.as_asgi(), user)
        communicator = WebsocketCommunicator(app, "/ws/inbox/")
        return communicator, await communicator.connect()

    async def test_an_agent_is_connected_to_their_queues(self):
        from asgiref.sync import sync_to_async

        queue = await sync_to_async(lambda: QueueFactory(members=[UserFactory(role=roles.AGENT)]))()
        agent = await sync_to_async(queue.members.get)()
        communicator, (connected, _code) = await self._connect(agent)

        assert connected
        assert await communicator.receive_json_from(timeout=10) == {
            "type": "inbox.ready",
            "queues": [queue.pk],
        }
        await communicator.disconnect()

    async def test_anonymous_is_closed_with_a_reason(self):
        _communicator, (connected, code) = await self._connect(None)

        assert (connected, code) == (False, CLOSE_NOT_AUTHENTICATED)

    async def test_a_privacy_officer_is_closed_as_forbidden(self):
        from asgiref.sync import sync_to_async

        officer = await sync_to_async(lambda: UserFactory(role=roles.PRIVACY_OFFICER))()
        _communicator, (connected, code) = await self._connect(officer)

        assert (connected, code) == (False, CLOSE_FORBIDDEN)


@pytest.mark.django_db
class TestMeEndpoint:
    def test_anonymous_is_refused(self):
        response = APIClient().get("/api/v1/me/")

        assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"

    def test_an_agents_api_key_sees_roles_and_queues(self, queue):
        from platform_core.api_auth import api_key_create

        agent = queue.members.get()
        _key, secret = api_key_create(user=agent, name="script", scopes=["conversations:read"])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

        body = client.get("/api/v1/me/").json()

        assert body["roles"] == ["agent"]
        assert [q["slug"] for q in body["queues"]] == [queue.slug]

    def test_a_drf_token_is_no_credential(self, queue):
        """API keys are the one way in for machines: DRF's plain-text tokens are refused."""
        from django.conf import settings

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b")

        response = client.get("/api/v1/me/")

        assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"
        assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
