from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("Staff accounts")

    def ready(self) -> None:
        from staff import checks, receivers  # noqa: F401 (checks register themselves)
        from staff.otp_labels import otp_labels_translate

        receivers.connect()
        otp_labels_translate()
