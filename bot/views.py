from django.views.generic import TemplateView


class ChatPageView(TemplateView):
    """The full-page customer chat; it talks to /ws/chat/."""

    template_name = "bot/chat_page.html"
