"""The Celery app. Configuration lives in Django settings (prefix CELERY_)."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.local")

app = Celery("supportdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _encryption_keys_report(**kwargs) -> None:
    # A key missing from FIELD_ENCRYPTION_KEY is logged when the worker starts, not at
    # the first delivery that cannot decrypt its recipient.
    from privacy.checks import encryption_keys_startup_report

    encryption_keys_startup_report()
