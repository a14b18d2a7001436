from django.urls import path, re_path

from agents.consumers import ConversationConsumer, InboxConsumer

websocket_urlpatterns = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
    # Only a conversation id (32 hex digits) matches; anything else is refused with 4404
    # by supportdesk.routing's catch-all, before any database look-up.
    re_path(
        r"^ws/inbox/conversations/(?P<public_hex>[0-9a-fA-F]{32})/$",
        ConversationConsumer.as_asgi(),
    ),
]
