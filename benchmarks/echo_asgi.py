"""The project's ASGI application plus a bare echo consumer at /ws/echo/.

Only the chat load benchmark serves this: the echo is its baseline, measured
in the same daphne process with the same settings as the real chat.
"""

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from supportdesk.asgi import application as project_application
from supportdesk.routing import websocket_urlpatterns


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


application = ProtocolTypeRouter(
    {
        "http": project_application.application_mapping["http"],
        "websocket": AllowedHostsOriginValidator(
            URLRouter([path("ws/echo/", EchoConsumer.as_asgi()), *websocket_urlpatterns])
        ),
    }
)
