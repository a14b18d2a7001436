from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.views.generic import TemplateView

from agents.selectors import queue_list_for_agent, user_is_agent, user_roles


class AgentRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Logged in and holding an inbox role; anyone else gets 403 (or the login page)."""

    def test_func(self) -> bool:
        return user_is_agent(user=self.request.user)


class InboxView(AgentRequiredMixin, TemplateView):
    template_name = "agents/inbox.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["queues"] = queue_list_for_agent(user=self.request.user)
        context["roles"] = user_roles(user=self.request.user)
        return context
