"""The inbox websocket through the whole stack (session cookie, auth middleware): it opens
only for a session that passed a required second factor, and closes when the session ends."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from agents.consumers import CLOSE_FORBIDDEN
from staff.models import StaffSession
from staff.services import staff_session_end
from tests.factories import QueueFactory, UserFactory
from tests.staff.second_factor import recovery_codes_for

pytestmark = [pytest.mark.django_db(transaction=True)]


def signed_in_admin() -> tuple[Client, list[str]]:
    admin = UserFactory(username="ada", is_superuser=True)
    QueueFactory(members=[admin])
    codes = recovery_codes_for(admin, count=2)
    client = Client(HTTP_HOST="localhost")
    response = client.post("/inbox/login/", {"username": "ada", "password": "test-password"})
    assert response.status_code == 302
    return client, codes


async def inbox_socket(client: Client) -> WebsocketCommunicator:
    from supportdesk.asgi import application

    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return WebsocketCommunicator(
        application,
        "/ws/inbox/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)],
    )


async def test_the_inbox_socket_needs_the_second_factor_and_closes_when_the_session_ends():
    client, codes = await sync_to_async(signed_in_admin)()

    # Password only: refused like a page would be.
    communicator = await inbox_socket(client)
    assert await communicator.connect() == (False, CLOSE_FORBIDDEN)

    # After the recovery code (the session key changes): live.
    response = await sync_to_async(client.post)("/staff/two-factor/", {"code": codes[0]})
    assert response.status_code == 302
    communicator = await inbox_socket(client)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["type"] == "inbox.ready"

    # An admin ends this session: the socket is closed.
    staff_session = await sync_to_async(
        lambda: StaffSession.objects.get(session_key=client.cookies["sessionid"].value)
    )()
    await sync_to_async(staff_session_end)(staff_session=staff_session, acting_user=None)
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": CLOSE_FORBIDDEN,
    }
    await communicator.disconnect()
