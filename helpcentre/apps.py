from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpcentreConfig(AppConfig):
    name = "helpcentre"
    verbose_name = _("Help centre and contact form")

    def ready(self) -> None:
        from bot.hooks import unanswered_source_register
        from helpcentre.selectors import unanswered_questions

        # Searches without a good hit and forms sent despite suggestions join the
        # "questions the bot could not answer" topics (bot imports no helpcentre).
        unanswered_source_register(unanswered_questions)
