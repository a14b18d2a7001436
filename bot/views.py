import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from bot.chat import CONSENT_PURPOSES_OPTIONAL, ChatError
from bot.consent_link import (
    LinkRefused,
    consent_link_conversation_get,
    consent_purpose_set_by_link,
    consent_purposes_offered,
)
from bot.disclosure import ai_disclosure
from bot.follow_ups import (
    follow_up_conversation_get,
    follow_up_request,
    follow_up_retention_days,
)
from bot.forms import FollowUpForm
from platform_core.rate_limit import client_rate_allows
from privacy.services import policy_version_active

# An origin as the widget reports it (location.origin): anything else is not named back.
WIDGET_HOST = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def chat_page_csp() -> dict:
    """The site policy, except that the widget's host pages may frame the chat."""
    return {
        **settings.SECURE_CSP,
        "frame-ancestors": [*settings.SECURE_CSP["frame-ancestors"], *settings.CHAT_WIDGET_ORIGINS],
    }


def chat_strings() -> dict[str, str]:
    """Every text the chat's JavaScript shows, translated on the server."""
    return {
        "connecting": _("Connecting…"),
        "connected": _("Connected."),
        "reconnecting": _("Connection lost, reconnecting…"),
        "accept": _("I agree"),
        "decline": _("No, thanks"),
        "policyLink": _("Read the privacy policy"),
        "purposesTitle": _("What we use your data for"),
        "purpose_support_chat": _("Answering your request in the chat"),
        "purpose_bot_improvement": _(
            "Improving the bot with conversation content without personal data"
        ),
        "withdrawHint": _("You can withdraw your consent at any time in this chat."),
        "purposeSaved": _("Your choice is saved. The chat goes on as before."),
        "identifyTitle": _("Who are you?"),
        "identifyIntro": _("We only ask for what we need to find your order."),
        "field_name": _("Name"),
        "field_email": _("Email"),
        "field_phone": _("Phone"),
        "identifySubmit": _("Continue"),
        "messageLabel": _("Your message"),
        "send": _("Send"),
        "sending": _("sending…"),
        "escalate": _("Talk to a person"),
        "withdraw": _("Withdraw consent"),
        "helpful": _("Helpful"),
        "notHelpful": _("Not helpful"),
        "thanksFeedback": _("Thank you for your feedback."),
        "waiting": _("A member of our team will answer here shortly."),
        "from_customer": _("You"),
        "from_bot": _("Bot"),
        "from_agent": _("Team"),
        "from_system": _("Notice"),
        "restart": _("Start a new conversation"),
        "assigned": _("A member of our team is looking after your request."),
        "assignedTo": _("%(agent)s from our team is looking after your request."),
        "resolved": _("Your request is resolved."),
        "agentTyping": _("Our team is typing…"),
        "ratingQuestion": _("How satisfied are you with our help?"),
        "ratingLabel": _("%(score)s of 5"),
        "ratingThanks": _("Thank you for your rating."),
        "fieldInvalid": _("Please check this field."),
        "fieldRequired": _("Please fill in this field."),
    }


def widget_origin_allowed(request, host: str) -> bool:
    """Whether the browser will let `host` (the widget's page, scheme://host[:port]) frame
    the chat: it is this site or listed in CHAT_WIDGET_ORIGINS."""
    own = f"{request.scheme}://{request.get_host()}"
    return host.rstrip("/") in {own, *(o.rstrip("/") for o in settings.CHAT_WIDGET_ORIGINS)}


def widget_unconfigured(request, host: str):
    """Instead of the browser's broken-frame icon, the widget shows who must do what.

    The page holds no chat, no form and no cookie, so any site may frame it (the host
    named comes from the widget's own URL; a forged one only changes this text)."""
    response = render(
        request,
        "bot/widget_unconfigured.html",
        {"host": host if WIDGET_HOST.fullmatch(host) else ""},
    )
    return csp_override({**settings.SECURE_CSP, "frame-ancestors": ["*"]})(
        lambda request: response
    )(request)


@method_decorator(xframe_options_exempt, name="dispatch")
class ChatPageView(TemplateView):
    """The full-page customer chat; the widget shows the same page in an iframe."""

    template_name = "bot/chat_page.html"

    def dispatch(self, request, *args, **kwargs):
        # The widget passes the host page's language as ?language= (applied by
        # LanguageFromQueryMiddleware); otherwise the browser's counts.
        host = request.GET.get("host", "")
        if request.GET.get("embed") == "1" and host and not widget_origin_allowed(request, host):
            return widget_unconfigured(request, host)
        return csp_override(chat_page_csp())(super().dispatch)(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["chat_strings"] = chat_strings()
        context["embedded"] = self.request.GET.get("embed") == "1"
        # Rendered by the server, shown before consent and before any answer (AI Act).
        context["ai_disclosure"] = ai_disclosure(language=translation.get_language())
        return context


# A customer page (no cookie before consent, TDDDG § 25), so no CSRF token: the form acts
# on no ambient authority, only on the signed link, which a forger would need anyway.
@method_decorator(csrf_exempt, name="dispatch")
class FollowUpView(View):
    """The follow-up form the bot links to (bot.follow_ups): a call back or an e-mail."""

    template_name = "bot/follow_up_form.html"

    def _context(self, token: str, form: FollowUpForm, **extra) -> dict | None:
        conversation = follow_up_conversation_get(token=token)
        policy = policy_version_active(language=translation.get_language())
        if conversation is None or policy is None:
            return None
        return {
            "form": form,
            "policy": policy,
            "conversation": conversation,
            "retention_days": follow_up_retention_days(),
            **extra,
        }

    def get(self, request, token: str):
        context = self._context(token, FollowUpForm())
        if context is None:
            return render(request, "bot/follow_up_expired.html", status=410)
        return render(request, self.template_name, context)

    def post(self, request, token: str):
        form = FollowUpForm(request.POST)
        context = self._context(token, form)
        if context is None:
            return render(request, "bot/follow_up_expired.html", status=410)
        # Per client, as the contact form: a signed link is no limit on its own (valid for
        # 48 hours, it may be posted to as often as anyone likes).
        if not client_rate_allows(
            request=request,
            scope="follow_up",
            limit=settings.FOLLOW_UP_FORM_RATE,
            window_seconds=600,
        ):
            form.add_error(
                None, _("You have sent several requests just now. Please wait a few minutes.")
            )
            return render(request, self.template_name, context, status=429)
        if form.is_valid():
            try:
                follow_up = follow_up_request(
                    conversation=context["conversation"],
                    method=form.cleaned_data["method"],
                    contact=form.cleaned_data["contact"],
                    preferred_time=form.cleaned_data["preferred_time"],
                    policy_version=context["policy"].version,
                    language=translation.get_language(),
                    ip_address=request.META.get("REMOTE_ADDR"),
                )
            except ValidationError as error:
                form.add_error(None, error)  # per field where it names one
            else:
                return render(request, "bot/follow_up_sent.html", {"follow_up": follow_up})
        return render(request, self.template_name, context, status=400)


# A customer page without a cookie, as the follow-up form (so no CSRF token): the POST
# acts only through the signed link in its address, which a cross-site forger lacks.
@method_decorator(csrf_exempt, name="dispatch")
class ConsentPurposesView(View):
    """The consent page every mail of a conversation links to (bot.consent_link): the
    purposes given, and one button per optional purpose to withdraw or give it again.
    GET only shows; a change is a POST, then a redirect back to the page."""

    template_name = "bot/consent_purposes.html"

    def dispatch(self, request, token: str):
        try:
            conversation = consent_link_conversation_get(token=token)
        except LinkRefused as refused:
            return render(
                request,
                "bot/consent_link_refused.html",
                {"expired": refused.expired},
                status=410 if refused.expired else 404,
            )
        # The conversation's language (the link says it too), unless the reader switched.
        language = request.GET.get("language", "")
        if language not in dict(settings.LANGUAGES):
            language = conversation.language
        with translation.override(language):
            return super().dispatch(request, conversation=conversation)

    def _render(self, request, conversation, *, status: int = 200, error: str = ""):
        consent = conversation.consent
        context = {
            "consent": consent,
            "withdrawn": consent is None or consent.withdrawn_at is not None,
            "purposes": consent_purposes_offered(conversation),
            "saved": request.GET.get("saved") == "1" and not error,
            "error": error,
            "language": translation.get_language(),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, conversation):
        return self._render(request, conversation)

    def post(self, request, conversation):
        # Per client, as the follow-up form: the link may be posted to as often as anyone likes.
        if not client_rate_allows(
            request=request,
            scope="consent_link",
            limit=settings.CONSENT_LINK_RATE,
            window_seconds=600,
        ):
            error = _("You have made several changes just now. Please wait a few minutes.")
            return self._render(request, conversation, status=429, error=error)
        purpose = request.POST.get("purpose", "")
        granted = request.POST.get("granted", "")
        if purpose not in CONSENT_PURPOSES_OPTIONAL or granted not in ("0", "1"):
            error = _("Please choose one of the buttons below.")
            return self._render(request, conversation, status=400, error=error)
        try:
            consent_purpose_set_by_link(
                conversation=conversation, purpose=purpose, granted=granted == "1"
            )
        except ChatError:
            error = _(
                "This cannot be given again here: our privacy policy has changed since, or "
                "you withdrew your whole consent. Please write to us in a new request."
            )
            return self._render(request, conversation, status=409, error=error)
        return HttpResponseRedirect(
            f"{request.path}?{urlencode({'language': translation.get_language(), 'saved': '1'})}"
        )
