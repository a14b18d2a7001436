import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, TemplateView

from privacy.activity_texts import processing_activities_in_use
from privacy.crypto import EncryptionKeyError
from privacy.forms import DataRequestForm, NoticePublishForm
from privacy.models import DataRequest, PolicyVersion, ProcessingAgreement, RetentionPolicy
from privacy.registry import active_channels
from privacy.selectors import encryption_status_get, privacy_dashboard
from privacy.services import (
    audit_record,
    data_export_open,
    data_request_create,
    data_request_verify,
    notice_changes,
    notice_diff,
    notice_publish,
    notice_render,
    policy_version_active,
    processing_activities_csv,
    subject_by_verification_token,
    subject_verify,
)

logger = logging.getLogger(__name__)


class PolicyView(TemplateView):
    """The active privacy policy, public; the chat links here before asking for consent."""

    template_name = "privacy/policy_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        language = kwargs.get("language") or translation.get_language()
        policy = policy_version_active(language=language)
        if policy is None:
            raise Http404("No privacy policy is published.")
        context["policy"] = policy
        return context


@method_decorator(csrf_exempt, name="dispatch")
class DataRequestCreateView(FormView):
    """Access, erasure or objection: the customer asks; a link to the address confirms."""

    template_name = "privacy/request_form.html"
    form_class = DataRequestForm

    def form_valid(self, form):
        try:
            data_request_create(
                kind=form.cleaned_data["kind"],
                email=form.cleaned_data["email"],
                language=translation.get_language(),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        # The same answer whether or not we know the address: nothing is revealed.
        return redirect("privacy:request-sent")


class DataRequestSentView(TemplateView):
    template_name = "privacy/request_sent.html"


# The customer pages set no cookie before consent (TDDDG § 25), so their forms carry
# no CSRF token: they act on no ambient authority (no session, no login is read), and
# the confirmation pages need the secret token from the e-mail. A forged cross-site
# POST can do nothing the forger could not do by posting directly.
@method_decorator(csrf_exempt, name="dispatch")
class DataRequestVerifyView(View):
    """GET shows a button, POST confirms: mail scanners that open links confirm nothing."""

    def get(self, request, token: str):
        return render(request, "privacy/request_verify.html", {"token": token})

    def post(self, request, token: str):
        data_request = data_request_verify(token=token)
        if data_request is None:
            return render(request, "privacy/request_verify_failed.html", status=410)
        return render(request, "privacy/request_verified.html", {"data_request": data_request})


@method_decorator(csrf_exempt, name="dispatch")
class IdentityVerifyView(View):
    """The link that proves a chat customer's email address; GET asks, POST confirms."""

    template_name = "privacy/identity_verify.html"

    def get(self, request, token: str):
        # When the address was given, so the person can tell whether it was their chat.
        subject = subject_by_verification_token(token=token)
        if subject is None:
            return render(request, self.template_name, {"state": "failed"}, status=410)
        return render(request, self.template_name, {"state": "ask", "given_at": subject.created_at})

    def post(self, request, token: str):
        subject = subject_verify(token=token)
        if subject is None:
            return render(request, self.template_name, {"state": "failed"}, status=410)
        return render(request, self.template_name, {"state": "done"})


class DataExportDownloadView(View):
    def get(self, request, token: str):
        try:
            archive = data_export_open(
                token=token, acting_user=request.user if request.user.is_authenticated else None
            )
        except EncryptionKeyError:
            # The operator's problem, not the customer's: the link stays valid (nothing
            # is marked downloaded) and works again once the key is back.
            logger.error("An export archive cannot be decrypted: a key is missing")
            response = render(
                request, "privacy/export_unavailable.html", {"temporarily": True}, status=503
            )
            response["Retry-After"] = "3600"
            return response
        if archive is None:
            return render(request, "privacy/export_unavailable.html", status=410)
        response = HttpResponse(archive, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="my-data.zip"'
        response["Cache-Control"] = "no-store"
        return response


class PrivacyOfficerMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "privacy.view_processingactivity"


# The dashboard's counts and the retention runs' categories are keys in the data; the page
# names them. A key a future provider adds and these lists lack shows as written.
COUNT_LABELS = {
    "conversations": _lazy("conversations"),
    "messages": _lazy("messages"),
    "messenger_identities": _lazy("messenger identities"),
    "webhook_deliveries": _lazy("webhook deliveries"),
    "data_subjects": _lazy("data subjects"),
    "consent_records": _lazy("consent records"),
}
PURGE_LABELS = {
    **dict(RetentionPolicy.Category.choices),
    "data_requests_unconfirmed": _lazy("unconfirmed data subject requests"),
    "mail_files": _lazy("mail files"),
}


def _labelled(counts: dict, labels: dict) -> list[tuple[str, int]]:
    rows = []
    for key, count in counts.items():
        if key == "requests_by_kind":
            kinds = dict(DataRequest.Kind.choices)
            rows += [
                (_("Data subject requests: %(kind)s") % {"kind": kinds.get(kind, kind)}, n)
                for kind, n in count.items()
            ]
        else:
            rows.append((str(labels.get(key, key)), count))
    return rows


class PrivacyDashboardView(PrivacyOfficerMixin, TemplateView):
    template_name = "privacy/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(privacy_dashboard(active_channels=active_channels()))
        context["counts"] = _labelled(context["counts"], COUNT_LABELS)
        context["purge_runs"] = [
            (run, _labelled(run.counts, PURGE_LABELS)) for run in context["purge_runs"]
        ]
        languages = dict(settings.LANGUAGES)
        context["outdated_notices"] = {
            str(languages.get(code, code)): changes
            for code, changes in context["outdated_notices"].items()
        }
        context["encryption_status"] = encryption_status_get()
        return context


class EncryptionStatusRefreshView(PrivacyOfficerMixin, View):
    """The dashboard's "count now": reads every encrypted value and file, so on demand."""

    def post(self, request):
        encryption_status_get(refresh=True)
        return redirect(reverse("privacy:dashboard") + "#encryption-status")


class ProcessingActivitiesView(PrivacyOfficerMixin, TemplateView):
    """The record of processing activities, printable (print to PDF from the browser)."""

    template_name = "privacy/processing_activities.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["activities"] = processing_activities_in_use()
        context["generated_at"] = timezone.now()
        return context


class ProcessingActivitiesCsvView(PrivacyOfficerMixin, View):
    def get(self, request):
        response = HttpResponse(processing_activities_csv(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="processing-activities.csv"'
        return response


class AgreementDocumentView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The signed agreement, decrypted for staff allowed to see agreements."""

    permission_required = "privacy.view_processingagreement"

    def get(self, request, pk: int):
        agreement = get_object_or_404(ProcessingAgreement, pk=pk)
        if not agreement.signed_document:
            raise Http404("No document was uploaded.")
        try:
            with agreement.signed_document.open("rb") as document:
                content = document.read()
        except EncryptionKeyError:
            logger.error("Agreement %s: no configured key decrypts its document", agreement.pk)
            messages.error(
                request,
                _(
                    "The document cannot be decrypted with the configured keys: a key is "
                    "missing from FIELD_ENCRYPTION_KEY (see `manage.py encryption_status`)."
                ),
            )
            return redirect("admin:privacy_processingagreement_change", agreement.pk)
        audit_record(action="agreement.document_opened", acting_user=request.user, target=agreement)
        response = HttpResponse(content, content_type="application/octet-stream")
        name = agreement.signed_document.name.rsplit("/", 1)[-1]
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class NoticeView(PrivacyOfficerMixin, View):
    """Preview the generated notice, compare it with the active version, edit, publish."""

    permission_required = "privacy.add_policyversion"
    template_name = "privacy/notice.html"

    def _context(self, language: str, form: NoticePublishForm | None = None) -> dict:
        active = PolicyVersion.objects.filter(language=language, is_active=True).first()
        generated = notice_render(language=language)
        if form is None:
            form = NoticePublishForm(
                initial={
                    "language": language,
                    "version": timezone.localdate().isoformat(),
                    "title": active.title if active else "",
                    "summary": active.summary if active else "",
                    "text": generated,
                }
            )
        text = form.data.get("text") if form.is_bound else generated
        return {
            "form": form,
            "language": language,
            "active": active,
            "diff": notice_diff(language=language, text=text or ""),
            "changes": notice_changes(covered=active.covered_facts) if active else [],
        }

    def get(self, request):
        language = request.GET.get("language", "de")
        if language not in ("de", "en"):
            language = "de"
        return render(request, self.template_name, self._context(language))

    def post(self, request):
        form = NoticePublishForm(request.POST)
        if not form.is_valid():
            language = request.POST.get("language", "de")
            return render(request, self.template_name, self._context(language, form), status=400)
        try:
            notice_publish(acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            return render(
                request,
                self.template_name,
                self._context(form.cleaned_data["language"], form),
                status=400,
            )
        return redirect(f"{reverse('privacy:notice')}?language={form.cleaned_data['language']}")
