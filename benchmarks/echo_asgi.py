"""The project's ASGI application plus a bare echo consumer at /ws/echo/.

Only the chat load benchmarks serve this: the echo is their baseline, measured
in the same daphne process with the same settings as the real chat. Every other
websocket goes through the project's whole websocket stack (supportdesk.asgi: the
Origin check, the routing, staff authentication where a route needs it), as in
production; the echo has only channels' own Origin check and router, its floor.
"""

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from supportdesk.asgi import application as project_application

ECHO_PATH = "/ws/echo/"


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


echo_application = AllowedHostsOriginValidator(
    URLRouter([path("ws/echo/", EchoConsumer.as_asgi())])
)
project_websocket = project_application.application_mapping["websocket"]


async def websocket_application(scope, receive, send):
    app = echo_application if scope["path"] == ECHO_PATH else project_websocket
    return await app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": project_application.application_mapping["http"],
        "websocket": websocket_application,
    }
)
