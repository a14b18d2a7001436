"""The webhooks: /channels/<telegram|whatsapp|messenger>/webhook/.

Plain views, CSRF-exempt (the platforms sign instead). Order matters: size, then
verification of the secret or signature on the raw body, then parsing, then one
service call per message. Answers:

- 404: the channel is not active (nothing to verify against);
- 413: the body is larger than CHANNELS_WEBHOOK_MAX_BYTES;
- 403: secret token or signature missing or wrong (nothing is parsed);
- 400: not JSON, or not the platform's shape;
- 200: accepted, including duplicates, replays and events we ignore (other pages,
  group chats, echoes): the platform must not send them again;
- 503 with Retry-After: a stored credential or customer datum cannot be decrypted (a key
  is missing from FIELD_ENCRYPTION_KEY). Rolled back and logged as an error; the
  platform redelivers later, when the key is back.

An unexpected error answers 500 and rolls back: the platform redelivers, and what
was processed already is recognised by its message id.
"""

import json
import logging

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from bot.channels.adapters import adapter_get
from bot.channels.base import WebhookRejected
from bot.channels.selectors import channel_config_active
from bot.channels.services import inbound_message_handle, inbound_status_handle
from platform_core.storable_text import values_made_storable
from privacy.crypto import EncryptionKeyError

logger = logging.getLogger(__name__)


# Seconds a platform is asked to wait before redelivering while a key is missing.
KEY_MISSING_RETRY_AFTER = 300


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, channel: str) -> HttpResponse:
    try:
        adapter = adapter_get(channel)
    except KeyError:
        raise Http404 from None
    try:
        with transaction.atomic():
            return _webhook(request, channel, adapter)
    except EncryptionKeyError:
        logger.error(
            "%s webhook: a stored value cannot be decrypted with FIELD_ENCRYPTION_KEY "
            "(a key is missing); answered 503 so the platform redelivers",
            channel,
        )
        response = HttpResponse(status=503)
        response["Retry-After"] = str(KEY_MISSING_RETRY_AFTER)
        return response


def _webhook(request: HttpRequest, channel: str, adapter) -> HttpResponse:
    config = channel_config_active(channel=channel)
    if config is None:
        raise Http404
    if request.method == "GET":
        return adapter.handshake(request=request, config=config)
    limit = settings.CHANNELS_WEBHOOK_MAX_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return HttpResponse(status=413)
    body = request.body
    if len(body) > limit:
        return HttpResponse(status=413)
    try:
        adapter.verify(request=request, config=config, body=body)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise WebhookRejected(400, "not JSON") from None
        # Stripped, not refused: the platform would only deliver a refused update again.
        # NUL characters go, lone surrogates become U+FFFD (PostgreSQL stores neither).
        if b"\\u" in body:
            payload = values_made_storable(payload)
        batch = adapter.parse(payload=payload, config=config)
    except WebhookRejected as refusal:
        logger.warning("%s webhook refused (%s): %s", channel, refusal.status, refusal.reason)
        return HttpResponse(status=refusal.status)
    outcomes: dict[str, int] = {}
    for inbound in batch.messages:
        outcome = inbound_message_handle(config=config, inbound=inbound)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    statuses = sum(
        inbound_status_handle(
            config=config,
            platform_message_id=update.platform_message_id,
            status=update.status,
            error_code=update.error_code,
        )
        for update in batch.statuses
    )
    if outcomes or statuses or batch.ignored:
        logger.info(
            "%s webhook: %s, %s status updates, %s ignored",
            channel,
            outcomes or "no messages",
            statuses,
            batch.ignored,
        )
    return JsonResponse({"ok": True})
