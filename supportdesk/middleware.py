"""Request guards: NUL characters in the path and query string, websocket Origins.

PostgreSQL cannot store or compare text with NUL (0x00); a query filter holding one
would fail deep in the database as a 500. Bodies are validated by the forms and
serializers (which refuse NUL characters themselves).
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.http.request import split_domain_port, validate_host
from django.utils import translation

from platform_core.storable_text import INVALID_TEXT_CODE

NUL = "\x00"


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path or any(
            NUL in key or NUL in value for key, values in request.GET.lists() for value in values
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "type": "validation_error",
                        "code": INVALID_TEXT_CODE,
                        "detail": "The request contains NUL characters.",
                        "fields": {},
                    },
                    status=400,
                )
            return HttpResponseBadRequest("The request contains NUL characters.")
        return self.get_response(request)


class LanguageFromQueryMiddleware:
    """`?language=en` chooses the page's language, for this request only.

    The language switch of the customer pages is a link with this parameter rather
    than Django's set_language form: that one sets a cookie (and needs a CSRF
    cookie), and no customer page sets a cookie before consent (TDDDG § 25).
    Runs after LocaleMiddleware, which otherwise goes by the browser's language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    # Only the customer pages: elsewhere `language` is a filter (the API, the notice
    # preview) and must not switch the staff's interface.
    CUSTOMER_PATHS = (
        "/chat/",
        "/privacy/policy/",
        "/privacy/requests/",
        "/privacy/identity/",
        "/privacy/exports/",
        "/help/",
        "/contact/",
    )

    def __call__(self, request):
        language = request.GET.get("language")
        if language in dict(settings.LANGUAGES) and request.path.startswith(self.CUSTOMER_PATHS):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def _origin_tuple(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port filled in; None if malformed."""
    try:
        parsed = urlsplit(f"{scheme}://{netloc}")
        port = parsed.port
    except ValueError:
        return None
    if not parsed.hostname:
        return None
    return scheme, parsed.hostname.lower(), port or _DEFAULT_PORTS.get(scheme, 0)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def websocket_origin_allowed(scope: dict) -> bool:
    """Django's CSRF rule for websockets: the Origin is this site or a trusted origin.

    Scheme, host and port must all match: the page's own origin (the Host header the
    browser sent, which must be one of ALLOWED_HOSTS, with http or https as the socket
    is ws or wss, or as the proxy says in SECURE_PROXY_SSL_HEADER), or one listed in
    CSRF_TRUSTED_ORIGINS. channels' AllowedHostsOriginValidator compared the host only,
    so another service on another port of the same host passed, and "*" in
    ALLOWED_HOSTS let every origin in.
    """
    headers = {name.lower(): value for name, value in scope.get("headers", [])}
    origin_header = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    if not origin_header or origin_header == "null":
        return False
    origin_parts = urlsplit(origin_header)
    if origin_parts.scheme not in _DEFAULT_PORTS:
        return False
    origin = _origin_tuple(origin_parts.scheme, origin_parts.netloc)
    if origin is None:
        return False
    trusted = {
        _origin_tuple(urlsplit(o).scheme, urlsplit(o).netloc) for o in settings.CSRF_TRUSTED_ORIGINS
    }
    if origin in trusted:
        return True
    if not host or not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return False
    secure = scope.get("scheme") == "wss"
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name, value = proxy_header
        forwarded = headers.get(name.lower().removeprefix("http_").replace("_", "-").encode())
        secure = secure or (forwarded is not None and forwarded.decode("latin-1") == value)
    return origin == _origin_tuple("https" if secure else "http", host)


class WebsocketOriginValidator:
    """Refuses (403 at the handshake) a websocket whose Origin is not this site's."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not websocket_origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
