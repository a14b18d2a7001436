"""Sign-in pages of staff: the password step (lock-out by django-axes), single sign-on,
the second factor (set up, confirm), password reset (Django's views, our templates)."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django_otp import login as otp_login
from django_otp import user_has_device

from staff.forms import SecondFactorCodeForm
from staff.selectors import staff_start_url
from staff.services import (
    recovery_codes_renew,
    second_factor_verify,
    staff_session_rekey,
    totp_device_confirm,
    totp_device_start,
)


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return staff_start_url(user=request.user)


def _session_elevate(request, device) -> None:
    """Mark the session as passed the second factor, under a new key (as after a password
    sign-in: a key known before cannot ride the stronger session)."""
    old_key = request.session.session_key
    otp_login(request, device)
    request.session.cycle_key()
    staff_session_rekey(old_key=old_key, new_key=request.session.session_key)


class StaffLoginView(auth_views.LoginView):
    """The inbox sign-in; offers single sign-on when an identity provider is configured."""

    template_name = "agents/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = settings.OIDC_ENABLED
        context["sso_provider_name"] = settings.OIDC_PROVIDER_NAME
        context["sso_failed"] = self.request.GET.get("sso") == "failed"
        return context

    def get_default_redirect_url(self):
        return staff_start_url(user=self.request.user)


class StaffStartView(LoginRequiredMixin, View):
    """LOGIN_REDIRECT_URL (single sign-on lands here): on to the page the role may see."""

    def get(self, request):
        return redirect(staff_start_url(user=request.user))


class TwoFactorVerifyView(LoginRequiredMixin, View):
    """The second step of every sign-in of a user with a second factor."""

    template_name = "staff/two_factor_verify.html"

    def get(self, request):
        if not user_has_device(request.user):
            return redirect(f"{reverse('staff:two_factor_setup')}?{request.GET.urlencode()}")
        return self._page(request, SecondFactorCodeForm())

    def post(self, request):
        form = SecondFactorCodeForm(request.POST)
        if form.is_valid():
            device = second_factor_verify(user=request.user, token=form.cleaned_data["code"])
            if device is not None:
                _session_elevate(request, device)
                return redirect(_next_url(request))
            form.add_error("code", _("This code is not valid. Try the current one."))
        return self._page(request, form, status=400)

    def _page(self, request, form, status=200):
        return render(
            request,
            self.template_name,
            {"form": form, "next": _next_url(request)},
            status=status,
        )


class TwoFactorSetupView(LoginRequiredMixin, View):
    """Enrol an authenticator app (TOTP) and receive recovery codes; or, once verified,
    renew the recovery codes or replace the authenticator."""

    template_name = "staff/two_factor_setup.html"

    def get(self, request):
        if user_has_device(request.user) and not request.user.is_verified():
            # A second factor exists: only it may change the second factor.
            return redirect(f"{reverse('staff:two_factor_verify')}?{request.GET.urlencode()}")
        replace = request.GET.get("replace") == "1"
        if user_has_device(request.user) and not replace:
            return render(request, "staff/two_factor_status.html", {"next": _next_url(request)})
        return self._page(request, SecondFactorCodeForm())

    def post(self, request):
        if user_has_device(request.user) and not request.user.is_verified():
            return redirect(reverse("staff:two_factor_verify"))
        if request.POST.get("action") == "renew_codes" and request.user.is_verified():
            codes = recovery_codes_renew(user=request.user)
            return self._codes(request, codes)
        form = SecondFactorCodeForm(request.POST)
        if form.is_valid():
            device = totp_device_start(user=request.user)
            try:
                codes = totp_device_confirm(
                    user=request.user, device=device, token=form.cleaned_data["code"]
                )
            except ValueError:
                form.add_error("code", _("This code is not valid. Try the current one."))
            else:
                device.refresh_from_db()
                _session_elevate(request, device)
                return self._codes(request, codes)
        return self._page(request, form, status=400)

    def _codes(self, request, codes):
        messages.success(request, _("Your second factor is set up."))
        return render(
            request, "staff/recovery_codes.html", {"codes": codes, "next": _next_url(request)}
        )

    def _page(self, request, form, status=200):
        device = totp_device_start(user=request.user)
        qr = segno.make(device.config_url, error="m")
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "qr_svg": qr.svg_inline(scale=4, title=_("QR code for your authenticator app")),
                "secret": device.config_url.split("secret=")[1].split("&")[0],
                "next": _next_url(request),
            },
            status=status,
        )


# Password reset: Django's views with our templates and the project's mail settings.
password_reset = auth_views.PasswordResetView.as_view(
    template_name="registration/password_reset_form.html",
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
    success_url=reverse_lazy("staff:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html",
    success_url=reverse_lazy("staff:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)
