from agents.routing import websocket_urlpatterns as agents_websocket_urlpatterns
from bot.routing import websocket_urlpatterns as bot_websocket_urlpatterns

websocket_urlpatterns = [*bot_websocket_urlpatterns, *agents_websocket_urlpatterns]
