from django.urls import re_path

from agents.routing import websocket_urlpatterns as agents_websocket_urlpatterns
from bot.routing import websocket_urlpatterns as bot_websocket_urlpatterns
from platform_core.consumers import NotFoundConsumer

websocket_urlpatterns = [
    *bot_websocket_urlpatterns,
    *agents_websocket_urlpatterns,
    # Last: a path no route knows closes with 4404 (channels' URLRouter would raise,
    # which daphne logs as a traceback and answers as a server error).
    re_path(r"", NotFoundConsumer.as_asgi()),
]
