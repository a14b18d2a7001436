"""Refuse NUL characters in the path and query string before any view runs.

PostgreSQL cannot store or compare text with NUL (0x00); a query filter holding one
would fail deep in the database as a 500. Bodies are validated by the forms and
serializers (which refuse NUL characters themselves).
"""

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation

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
                        "code": "null_characters_not_allowed",
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
    )

    def __call__(self, request):
        language = request.GET.get("language")
        if language in dict(settings.LANGUAGES) and request.path.startswith(self.CUSTOMER_PATHS):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
