from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views import View
from django.views.generic import FormView, TemplateView

from privacy.forms import DataRequestForm
from privacy.services import (
    data_export_open,
    data_request_create,
    data_request_verify,
    policy_version_active,
)


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


class DataRequestVerifyView(View):
    """GET shows a button, POST confirms: mail scanners that open links confirm nothing."""

    def get(self, request, token: str):
        return render(request, "privacy/request_verify.html", {"token": token})

    def post(self, request, token: str):
        data_request = data_request_verify(token=token)
        if data_request is None:
            return render(request, "privacy/request_verify_failed.html", status=410)
        return render(request, "privacy/request_verified.html", {"data_request": data_request})


class DataExportDownloadView(View):
    def get(self, request, token: str):
        archive = data_export_open(
            token=token, acting_user=request.user if request.user.is_authenticated else None
        )
        if archive is None:
            return render(request, "privacy/export_unavailable.html", status=410)
        response = HttpResponse(archive, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="my-data.zip"'
        response["Cache-Control"] = "no-store"
        return response
