"""Leftovers of data requests and development mail: the address and its blind index
go when a request is done or its link expired unused; mail files are purged."""

import os
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from privacy.models import DataRequest
from privacy.services import data_request_create, retention_purge
from tests.factories import known_subject

pytestmark = pytest.mark.django_db

EMAIL = "erika@example.org"


def _stored(request: DataRequest) -> tuple[str, str, str]:
    """(email as decrypted, blind index and status as stored)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT email_index, status FROM privacy_datarequest WHERE id = %s", [request.pk]
        )
        index, status = cursor.fetchone()
    return DataRequest.objects.get(pk=request.pk).email, index, status


@pytest.mark.parametrize("kind", ["access", "objection", "erasure"])
def test_a_completed_request_keeps_neither_the_address_nor_its_blind_index(
    kind, policies, agent, celery_eager, django_capture_on_commit_callbacks
):
    known_subject(name="Erika", email=EMAIL)

    with django_capture_on_commit_callbacks(execute=True):
        request = data_request_create(kind=kind, email=EMAIL, created_by=agent)

    assert _stored(request) == ("", "", "completed")


def test_retention_clears_a_request_whose_link_expired_unused(policies, settings):
    stale = data_request_create(kind="access", email=EMAIL)
    fresh = data_request_create(kind="objection", email="other@example.org")
    DataRequest.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.DATA_REQUEST_VERIFICATION_HOURS + 1)
    )

    run = retention_purge()

    assert _stored(stale) == ("", "", "expired")
    email, index, status = _stored(fresh)
    assert email == "other@example.org" and index and status == "unverified"
    assert run.counts["data_requests_unconfirmed"] == 1


def test_retention_deletes_development_mail_files_after_the_set_hours(policies, settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    settings.MAIL_FILES_KEEP_HOURS = 24
    old, new = tmp_path / "old.log", tmp_path / "new.log"
    old.write_text(f"To: {EMAIL}")
    new.write_text(f"To: {EMAIL}")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))

    run = retention_purge()

    assert not old.exists() and new.exists()
    assert run.counts["mail_files"] == 1


def test_a_dry_run_deletes_no_mail_file_and_clears_no_request(policies, settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    old = tmp_path / "old.log"
    old.write_text(f"To: {EMAIL}")
    os.utime(old, (0, 0))
    stale = data_request_create(kind="access", email=EMAIL)
    DataRequest.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=9))

    retention_purge(dry_run=True)

    assert old.exists() and _stored(stale)[1]
