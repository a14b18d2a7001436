"""What a locked-out client sees: the same page (or API error) whatever name it tried,
so the lock-out tells nothing about which accounts exist."""

from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

STATUS = 429


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "type": "throttled",
                "code": "locked_out",
                "detail": _("Too many failed attempts. Try again later."),
                "fields": {},
            },
            status=STATUS,
        )
    else:
        response = render(request, "staff/locked_out.html", {"minutes": minutes}, status=STATUS)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
