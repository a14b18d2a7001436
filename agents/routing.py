from django.urls import path

from agents.consumers import ConversationConsumer, InboxConsumer

websocket_urlpatterns = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
    path("ws/inbox/conversations/<str:public_hex>/", ConversationConsumer.as_asgi()),
]
