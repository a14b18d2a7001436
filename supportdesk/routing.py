from channels.auth import AuthMiddlewareStack
from django.urls import re_path
from django.urls.resolvers import URLPattern

from agents.routing import websocket_urlpatterns as agents_websocket_urlpatterns
from bot.routing import websocket_urlpatterns as bot_websocket_urlpatterns
from platform_core.consumers import NotFoundConsumer


def _staff_signed_in(patterns: list[URLPattern]) -> list[URLPattern]:
    """The staff's routes behind channels' AuthMiddlewareStack: scope["user"] and
    scope["session"] from the session cookie, for the consumers that check them."""
    return [
        URLPattern(pattern.pattern, AuthMiddlewareStack(pattern.callback), name=pattern.name)
        for pattern in patterns
    ]


websocket_urlpatterns = [
    # The customer's chat reads no user or session: without the auth middleware, its
    # handshake takes no hop to the database thread (which all chat work queues for
    # under load) to resolve a user it never uses, nor a session SELECT when a cookie
    # comes along.
    *bot_websocket_urlpatterns,
    *_staff_signed_in(agents_websocket_urlpatterns),
    # Last: a path no route knows closes with 4404 (channels' URLRouter would raise,
    # which daphne logs as a traceback and answers as a server error).
    re_path(r"", NotFoundConsumer.as_asgi()),
]
