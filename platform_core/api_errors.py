"""The one error format of the REST API: {"type", "code", "detail", "fields"}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from platform_core.storable_text import INVALID_TEXT_CODE

_ERROR_TYPES = {
    status.HTTP_400_BAD_REQUEST: "validation_error",
    status.HTTP_401_UNAUTHORIZED: "authentication_error",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_409_CONFLICT: "conflict",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(field): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for field, messages in detail.items()
        }
    return {}


# DRF's own codes for text the database refuses; the API answers them as invalid_text,
# the code every other path (websockets, inbox, middleware) uses.
_INVALID_TEXT_CODES = {
    "null_characters_not_allowed",
    "surrogate_characters_not_allowed",
    INVALID_TEXT_CODE,
}


def _leaf_codes(codes) -> set[str]:
    if isinstance(codes, str):
        return {codes}
    if isinstance(codes, dict):
        codes = list(codes.values())
    return set().union(*(_leaf_codes(code) for code in codes)) if codes else set()


def api_exception_handler(exc, context):
    """Every error as {"type", "code", "detail", "fields"}; headers (Retry-After …) kept."""
    # Django's own (get_object_or_404, a ValueError on a malformed id): DRF's, so they
    # carry DRF's codes.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:  # a service's refusal: its code (invalid_text …) is kept
            exc = exceptions.ValidationError(
                {"non_field_errors": exc.messages}, code=getattr(exc, "code", None)
            )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    fields = _flatten(detail) if isinstance(exc, exceptions.ValidationError) else {}
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
        elif isinstance(exc, exceptions.ValidationError) and (
            _leaf_codes(codes) & _INVALID_TEXT_CODES
        ):
            code = INVALID_TEXT_CODE
    if fields:
        message = str(_("Some fields are invalid."))
    elif isinstance(detail, dict) and "detail" in detail:
        message = str(detail["detail"])
    elif isinstance(detail, list) and detail:
        message = str(detail[0])
    else:
        message = str(detail)
    response.data = {
        "type": _ERROR_TYPES.get(response.status_code, "error"),
        "code": code,
        "detail": message,
        "fields": fields,
    }
    return response


API_PREFIX = "/api/"


def _json_error(status_code: int, code: str, detail) -> JsonResponse:
    return JsonResponse(
        {
            "type": _ERROR_TYPES.get(status_code, "error"),
            "code": code,
            "detail": str(detail),
            "fields": {},
        },
        status=status_code,
    )


# Django's own error views (handler404, handler500 … in supportdesk/urls.py): what no
# DRF view answered — an unknown URL under /api/, an error raised outside a view — still
# in the one error format there; HTML for the pages.
def page_not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        return _json_error(404, "not_found", _("No such endpoint or object."))
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return _json_error(500, "server_error", _("Something went wrong on our side."))
    return defaults.server_error(request)


def bad_request(request, exception):
    if request.path.startswith(API_PREFIX):
        return _json_error(400, "bad_request", _("The request is malformed."))
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if request.path.startswith(API_PREFIX):
        return _json_error(403, "permission_denied", _("You may not do this."))
    return defaults.permission_denied(request, exception)


def conflict(detail: str, code: str = "conflict") -> Response:
    return Response(
        {"type": "conflict", "code": code, "detail": detail, "fields": {}},
        status=status.HTTP_409_CONFLICT,
    )


class ApiErrorSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="validation_error, authentication_error, ...")
    code = serializers.CharField(help_text="A stable machine-readable code.")
    detail = serializers.CharField(help_text="A human-readable message.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per invalid field (validation errors only).",
    )


def _error_response(description: str, example: dict) -> OpenApiResponse:
    return OpenApiResponse(
        response=ApiErrorSerializer,
        description=description,
        examples=[OpenApiExample(description, value={"fields": {}, **example})],
    )


# Documented on every endpoint: the errors every endpoint can answer with.
ERROR_RESPONSES = {
    400: _error_response(
        "Invalid input",
        {
            "type": "validation_error",
            "code": "invalid",
            "detail": "Some fields are invalid.",
            "fields": {"email": ["Enter a valid email address."]},
        },
    ),
    401: _error_response(
        "Not authenticated",
        {
            "type": "authentication_error",
            "code": "not_authenticated",
            "detail": "Authentication credentials were not provided.",
        },
    ),
    403: _error_response(
        "Not allowed",
        {
            "type": "permission_denied",
            "code": "permission_denied",
            "detail": "This API key lacks the scope for this endpoint.",
        },
    ),
    404: _error_response(
        "Not found", {"type": "not_found", "code": "not_found", "detail": "No such object."}
    ),
    429: _error_response(
        "Too many requests (see Retry-After)",
        {
            "type": "throttled",
            "code": "throttled",
            "detail": "Request was throttled. Expected available in 12 seconds.",
        },
    ),
}
