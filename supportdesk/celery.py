"""The Celery app. Configuration lives in Django settings (prefix CELERY_)."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.local")

app = Celery("supportdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_to_start_without_services(**kwargs) -> None:
    """A worker whose database or Redis cannot be reached stops with a sentence.

    Connected after Celery's Django fixup (which sets Django up on worker_init).
    SystemExit, because Celery logs and ignores a signal handler's Exception.
    """
    from django.core.exceptions import ImproperlyConfigured

    from supportdesk.checks import services_reachable_or_refuse

    try:
        services_reachable_or_refuse()
    except ImproperlyConfigured as error:
        raise SystemExit(str(error)) from error
