"""ASGI entry point for daphne: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.local")

# Django must be set up before the routing modules import models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from bot.chat import answerer_load_at_start  # noqa: E402
from bot.nlu import nlu_warm_up  # noqa: E402
from event_pipeline.outbox import outbox_drain_at_start  # noqa: E402
from platform_core.websocket_protocol import autobahn_debug_formatting_deferred  # noqa: E402
from privacy.checks import encryption_keys_startup_report  # noqa: E402
from supportdesk.checks import services_reachable_or_refuse  # noqa: E402
from supportdesk.middleware import WebsocketOriginValidator  # noqa: E402
from supportdesk.routing import websocket_urlpatterns  # noqa: E402

# No pretty-printing at every websocket connection for a debug line nobody reads.
autobahn_debug_formatting_deferred()
# daphne runs no system checks: a database or Redis that cannot be reached stops the
# process here with a sentence, instead of a server answering 500 to everyone.
services_reachable_or_refuse()
nlu_warm_up()
# The active bot models too (seconds): else the first customer's identification loads
# them for its greeting while every other customer's set-up waits (issue 22).
answerer_load_at_start()
# A key missing from FIELD_ENCRYPTION_KEY is logged now, not at the first webhook.
encryption_keys_startup_report()
# Pushes and deliveries a crashed process committed but never sent go out now.
outbox_drain_at_start()

# Static files from daphne itself where no reverse proxy serves them (make run, tests).
http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.SERVE_STATIC else django_asgi_app

application = ProtocolTypeRouter(
    {
        "http": http_app,
        # A websocket from a foreign Origin (scheme, host and port) is refused before
        # any consumer runs; staff routes resolve the signed-in user (supportdesk.routing).
        "websocket": WebsocketOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
