"""Celery's configuration comes from Django's settings, read once (issue 22), and a
changed setting (tests' overrides) still reaches it."""

from unittest import mock

from django.conf import LazySettings, settings
from django.test import override_settings

from supportdesk.celery import app


def test_celery_options_are_the_django_settings_with_the_celery_prefix():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.task_serializer == settings.CELERY_TASK_SERIALIZER == "json"
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE
    # Celery's own default where the settings name none.
    assert app.conf.task_default_queue == "celery"


def test_celery_looks_options_up_without_asking_django_settings_again():
    app.conf.task_serializer  # noqa: B018  (read once, before the watch)
    refused = AssertionError("Celery asked Django's LazySettings")
    with mock.patch.object(LazySettings, "__getattr__", side_effect=refused):
        assert app.conf.task_serializer == "json"
        # A name the settings do not set: before, an AttributeError raised through them.
        assert app.conf.task_queue_max_priority is None


def test_an_overridden_setting_reaches_celery_and_is_undone_after():
    before = app.conf.task_time_limit
    with override_settings(CELERY_TASK_TIME_LIMIT=before + 17, CELERY_TASK_DEFAULT_QUEUE="q"):
        assert app.conf.task_time_limit == before + 17
        assert app.conf.task_default_queue == "q"
    assert app.conf.task_time_limit == before
    assert app.conf.task_default_queue == "celery"


def test_the_settings_fixture_reaches_celery(settings):
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 5
    assert app.conf.task_soft_time_limit == 5
