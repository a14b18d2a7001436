"""Staff sessions on every request: the idle timeout, last seen, and the second factor.

After django_otp's OTPMiddleware (which tells whether this session passed the second
factor). A user who must use a second factor and has not in this session reaches only
the pages that let them do so (or sign out); the API answers 403.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from staff.selectors import second_factor_required
from staff.services import LAST_SEEN_RESOLUTION, staff_session_forget, staff_session_touch

LAST_SEEN_SESSION_KEY = "staff_last_seen"
# What a signed-in user who still owes the second factor may open.
OPEN_VIEWS = {
    "staff:two_factor_verify",
    "staff:two_factor_setup",
    "agents:logout",
    "admin:logout",
    "set_language",
    "health",
    "accessibility",
    "privacy:policy",
}


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        session_key = request.session.session_key
        if user.is_authenticated and session_key:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
            idle_seconds = settings.STAFF_SESSION_IDLE_MINUTES * 60
            if last_seen is not None and now - last_seen > idle_seconds:
                staff_session_forget(session_key=session_key)
                logout(request)
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION.total_seconds():
                request.session[LAST_SEEN_SESSION_KEY] = now
                staff_session_touch(
                    user=user,
                    session_key=session_key,
                    browser=request.META.get("HTTP_USER_AGENT", ""),
                )
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if (match and match.view_name in OPEN_VIEWS) or request.path.startswith(
            "/" + settings.STATIC_URL.lstrip("/")
        ):
            return None
        if not second_factor_required(user=user):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "type": "permission_denied",
                    "code": "second_factor_required",
                    "detail": _("Confirm this session with your second factor first."),
                    "fields": {},
                },
                status=403,
            )
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('staff:two_factor_verify')}?{query}")
