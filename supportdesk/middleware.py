"""Refuse NUL characters in the path and query string before any view runs.

PostgreSQL cannot store or compare text with NUL (0x00); a query filter holding one
would fail deep in the database as a 500. Bodies are validated by the forms and
serializers (which refuse NUL characters themselves).
"""

from django.http import HttpResponseBadRequest, JsonResponse

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
