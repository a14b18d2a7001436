"""The Celery app. Configuration lives in Django settings (prefix CELERY_)."""

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import worker_init, worker_ready
from django.conf import settings
from django.core.signals import setting_changed

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.local")


class DjangoSettingsRead(Mapping):
    """Django's settings as Celery's configuration source, read into a dict once.

    Celery looks its options up at every publish (a dozen names, most of them not set,
    each under two or three spellings). Given `django.conf:settings` it asks Django's
    LazySettings for each: an attribute lookup through the lazy object and, for a name
    not set, an AttributeError (a quarter of a publish's CPU, issue 22). A dict answers
    at once. Read again after a setting changes (tests' override_settings and pytest's
    `settings` fixture send setting_changed), so overrides reach Celery as before.
    """

    def __init__(self) -> None:
        self._values: dict | None = None

    def forget(self, **kwargs) -> None:
        self._values = None

    def _read(self) -> dict:
        values = self._values
        if values is None:
            values = self._values = {
                name: getattr(settings, name) for name in dir(settings) if name.isupper()
            }
        return values

    def __getitem__(self, name: str):
        return self._read()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


django_settings_read = DjangoSettingsRead()
setting_changed.connect(django_settings_read.forget, weak=False)

app = Celery("supportdesk")
app.config_from_object(django_settings_read, namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _encryption_keys_report(**kwargs) -> None:
    # A key missing from FIELD_ENCRYPTION_KEY is logged when the worker starts, not at
    # the first delivery that cannot decrypt its recipient.
    from privacy.checks import encryption_keys_startup_report

    encryption_keys_startup_report()


@worker_ready.connect
def _outbox_drain(**kwargs) -> None:
    # Pushes and deliveries a crashed process committed but never sent go out now.
    from event_pipeline.outbox import outbox_drain_at_start

    outbox_drain_at_start()


class Scheduler(PersistentScheduler):
    """Beat's file scheduler, making the schedule file's folder first.

    Beat does not make it, and on a fresh checkout it exists only if something else (the
    filesystem broker) made it: scale-out beat crashed with FileNotFoundError.
    """

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


@worker_init.connect
def _refuse_to_start_without_services(**kwargs) -> None:
    """A worker whose database or Redis cannot be reached stops with a sentence.

    Connected after Celery's Django fixup (which sets Django up on worker_init).
    SystemExit, because Celery logs and ignores a signal handler's Exception.
    """
    # Here: this module is loaded with the settings, before Django is set up.
    from django.core.exceptions import ImproperlyConfigured

    from supportdesk.checks import services_reachable_or_refuse

    try:
        services_reachable_or_refuse()
    except ImproperlyConfigured as error:
        raise SystemExit(str(error)) from error
