from django.http import Http404
from django.utils import translation
from django.views.generic import TemplateView

from privacy.services import policy_version_active


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
