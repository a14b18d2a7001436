"""What WhatsApp Cloud API and Messenger share: Meta's webhook security and Graph API errors.

- Subscription: a GET with hub.mode=subscribe, hub.verify_token and hub.challenge;
  we answer the challenge when the verify token is ours.
- Notifications: a POST whose raw body is signed with the app secret,
  `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`; checked in constant time before
  the body is parsed.
- Errors: {"error": {"message", "type", "code", "error_subcode", "error_data", "fbtrace_id"}};
  decisions use `code` (and the subcode where Meta documents one), never the message.
"""

import hashlib
import hmac
import re
from abc import abstractmethod

from django.http import HttpRequest, HttpResponse

from bot.channels.base import Adapter, SendError, WebhookRejected
from bot.models import ChannelConfig
from platform_core.http_client import HttpAnswer, TransportError, json_post

SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="
# Meta sends a number; anything else is not echoed back.
CHALLENGE = re.compile(r"[A-Za-z0-9_.\-]{1,128}")

# Graph API and platform codes that mean "too many, slow down".
RATE_LIMIT_CODES = {4, 17, 32, 613, 80007, 130429, 131056}
# Temporary trouble on Meta's side.
TRANSIENT_CODES = {1, 2, 131000, 131016, 133004}
CREDENTIAL_CODES = {0, 102, 190, *range(200, 300)}


def signature_valid(*, body: bytes, header: str, secret: str) -> bool:
    if not secret or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header[len(SIGNATURE_PREFIX) :].encode())


class MetaAdapter(Adapter):
    # Graph API error codes (and code:subcode pairs) of this platform.
    window_codes: set[str] = set()
    unreachable_codes: set[str] = set()

    @abstractmethod
    def api_base(self) -> str:
        """The Graph API base URL of this platform (a setting)."""

    def handshake(self, *, request: HttpRequest, config: ChannelConfig) -> HttpResponse:
        mode = request.GET.get("hub.mode", "")
        token = request.GET.get("hub.verify_token", "")
        challenge = request.GET.get("hub.challenge", "")
        if (
            mode != "subscribe"
            or not token
            or not config.verify_token
            or not hmac.compare_digest(token.encode("utf-8"), config.verify_token.encode("utf-8"))
        ):
            return HttpResponse(status=403)
        if not CHALLENGE.fullmatch(challenge):
            return HttpResponse(status=400)
        return HttpResponse(challenge, content_type="text/plain")

    def verify(self, *, request: HttpRequest, config: ChannelConfig, body: bytes) -> None:
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not header:
            raise WebhookRejected(403, "signature missing")
        if not signature_valid(body=body, header=header, secret=config.app_secret):
            raise WebhookRejected(403, "signature wrong")

    def graph_post(self, *, config: ChannelConfig, path: str, payload: dict) -> dict:
        """POST to the Graph API with the access token as a Bearer header (it stays out
        of URLs and any proxy's log); the parsed success body, else SendError."""
        try:
            answer = json_post(
                url=f"{self.api_base().rstrip('/')}/{path}",
                payload=payload,
                headers={"Authorization": f"Bearer {config.access_token}"},
            )
        except TransportError:
            raise SendError("transient", code="network") from None
        body = answer.body if isinstance(answer.body, dict) else {}
        if 200 <= answer.status < 300 and "error" not in body:
            return body
        raise self.error(answer, body)

    def error(self, answer: HttpAnswer, body: dict) -> SendError:
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        code = error.get("code")
        subcode = error.get("error_subcode")
        label = f"{code}:{subcode}" if subcode else str(code if code is not None else "")
        label = label or str(answer.status)
        if answer.status == 429 or code in RATE_LIMIT_CODES:
            return SendError("rate_limited", code=label, retry_after=answer.retry_after)
        if str(code) in self.window_codes or label in self.window_codes:
            return SendError("window_closed", code=label)
        if str(code) in self.unreachable_codes or label in self.unreachable_codes:
            return SendError("unreachable", code=label)
        if answer.status >= 500 or code in TRANSIENT_CODES:
            return SendError("transient", code=label, retry_after=answer.retry_after)
        if answer.status == 401 or code in CREDENTIAL_CODES:
            return SendError("credentials", code=label)
        return SendError("rejected", code=label)


def as_list(value: object, what: str) -> list:
    """A list the notification must have here; WebhookRejected(400) otherwise."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise WebhookRejected(400, f"{what} is not a list")
    return value


def as_dict(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise WebhookRejected(400, f"{what} is not an object")
    return value
