import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from bot.services import message_append
from privacy.models import AuditEvent, ConsentRecord, DataExport, DataRequest, DataSubject
from privacy.services import data_request_create, retention_purge
from tests.factories import ConversationFactory, known_subject

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(policies):
    from bot.chat import chat_consent_give

    subject = known_subject(name="Erika Mustermann", email="erika@example.org")
    conversation = ConversationFactory(subject=subject)
    chat_consent_give(conversation=conversation, policy_version="2026-11")
    message_append(conversation=conversation, sender="customer", text="Paket Nr. zwölf fehlt")
    return subject


def _link(message, path: str) -> str:
    return re.search(rf"http://\S+({path}[^/\s]+/)", message.body).group(1)


def _request(client, kind: str, email: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/privacy/requests/", {"kind": kind, "email": email})
    assert response.status_code == 302 and response["Location"] == "/privacy/requests/sent/"
    return _link(mail.outbox[-1], "/privacy/requests/verify/")


def _confirm(client, verify_path: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(verify_path)


def test_an_access_request_ends_in_a_download_of_everything(
    client, customer, celery_eager, django_capture_on_commit_callbacks
):
    verify_path = _request(
        client, "access", "Erika@Example.org", django_capture_on_commit_callbacks
    )
    assert client.get(verify_path).status_code == 200  # a page with a button, no effect yet
    assert DataRequest.objects.get().status == "unverified"

    confirmed = _confirm(client, verify_path, django_capture_on_commit_callbacks)
    download_path = _link(mail.outbox[-1], "/privacy/exports/")
    response = client.get(download_path)

    assert confirmed.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["data"]["privacy.data_subject"]["email"] == "erika@example.org"
    texts = [
        m["text"] for c in data["data"]["bot.conversations"]["conversations"] for m in c["messages"]
    ]
    assert "Paket Nr. zwölf fehlt" in texts
    assert "Erika Mustermann" in archive.read("report.html").decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "data_request.created",
        "data_request.verified",
        "export.built",
        "export.downloaded",
    } <= actions
    request = DataRequest.objects.get()
    assert request.status == "completed" and request.email == ""


def test_the_stored_export_file_is_encrypted(
    customer, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        data_request_create(kind="access", email="erika@example.org", created_by=None)
    request = DataRequest.objects.get()
    from privacy.services import data_export_build

    request.status = "verified"
    request.subject = customer
    request.save(update_fields=["status", "subject"])  # the build completes a verified one only
    export = data_export_build(request=request)

    stored = (Path(settings.MEDIA_ROOT) / "exports" / export.file_name).read_bytes()
    assert not stored.startswith(b"PK") and b"Erika" not in stored


def test_an_unknown_address_gets_the_same_answer_and_an_empty_export(
    client, policies, celery_eager, django_capture_on_commit_callbacks
):
    verify_path = _request(
        client, "access", "nobody@example.org", django_capture_on_commit_callbacks
    )
    _confirm(client, verify_path, django_capture_on_commit_callbacks)
    response = client.get(_link(mail.outbox[-1], "/privacy/exports/"))

    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("data.json"))
    assert data["data"] == {}


def test_a_confirmation_link_works_once_and_not_after_it_expired(
    client, customer, celery_eager, django_capture_on_commit_callbacks
):
    verify_path = _request(
        client, "objection", "erika@example.org", django_capture_on_commit_callbacks
    )
    DataRequest.objects.update(verification_expires_at=timezone.now() - timedelta(minutes=1))

    assert _confirm(client, verify_path, django_capture_on_commit_callbacks).status_code == 410
    assert DataRequest.objects.get().status == "expired"
    assert client.post("/privacy/requests/verify/forged-token/").status_code == 410


def test_an_expired_or_forged_download_link_is_refused(
    client, customer, celery_eager, django_capture_on_commit_callbacks
):
    verify_path = _request(
        client, "access", "erika@example.org", django_capture_on_commit_callbacks
    )
    _confirm(client, verify_path, django_capture_on_commit_callbacks)
    download_path = _link(mail.outbox[-1], "/privacy/exports/")
    DataExport.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(download_path).status_code == 410
    assert client.get("/privacy/exports/forged/").status_code == 410


def test_an_erasure_request_leaves_a_receipt_without_personal_data(
    client, customer, celery_eager, django_capture_on_commit_callbacks
):
    verify_path = _request(
        client, "erasure", "erika@example.org", django_capture_on_commit_callbacks
    )

    _confirm(client, verify_path, django_capture_on_commit_callbacks)

    assert not DataSubject.objects.exists()
    receipt = DataRequest.objects.get()
    assert receipt.status == "completed" and receipt.subject is None and receipt.email == ""
    assert receipt.result["erased"]["bot.conversations"]["messages"] == 1
    # The proof that consent was given stays, naming no one.
    assert ConsentRecord.objects.filter(subject__isnull=True).count() == 1


def test_an_objection_stops_learning_from_the_subject(
    client, customer, celery_eager, django_capture_on_commit_callbacks
):
    verify_path = _request(
        client, "objection", "erika@example.org", django_capture_on_commit_callbacks
    )

    _confirm(client, verify_path, django_capture_on_commit_callbacks)

    assert DataSubject.objects.get().learning_objected_at is not None


def test_a_request_opened_by_staff_needs_no_email_confirmation(
    customer, agent, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = data_request_create(kind="access", email="erika@example.org", created_by=agent)

    request.refresh_from_db()
    assert request.status == "completed" and request.export.status == "ready"


@pytest.mark.parametrize(
    "data", [{"kind": "access", "email": "not-an-email"}, {"kind": "x", "email": "a@b.de"}]
)
def test_bad_input_on_the_request_form_gets_field_errors(client, data):
    response = client.post("/privacy/requests/", data)

    assert response.status_code == 200 and response.context["form"].errors
    assert not DataRequest.objects.exists()


def test_expired_exports_and_their_files_are_deleted_by_retention(
    customer, celery_eager, django_capture_on_commit_callbacks, agent
):
    with django_capture_on_commit_callbacks(execute=True):
        data_request_create(kind="access", email="erika@example.org", created_by=agent)
    export = DataExport.objects.get()
    path = Path(settings.MEDIA_ROOT) / "exports" / export.file_name
    assert path.exists()

    retention_purge(now=timezone.now() + timedelta(days=8))

    assert not DataExport.objects.exists() and not path.exists()


def test_privacy_tasks_are_sent_ids_only(client, customer, django_capture_on_commit_callbacks):
    from celery.app.task import Task

    from privacy.services import data_request_verification_send

    sent = []

    def record(task, args=None, kwargs=None, **options):
        sent.append((task.name, args, kwargs))

    with mock.patch.object(Task, "apply_async", autospec=True, side_effect=record):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/privacy/requests/", {"kind": "access", "email": "erika@example.org"})
            data_request_verification_send(request=DataRequest.objects.get())
        _confirm(
            client,
            _link(mail.outbox[-1], "/privacy/requests/verify/"),
            django_capture_on_commit_callbacks,
        )

    request_id = DataRequest.objects.get().pk
    assert [(name.rsplit(".", 1)[1], args) for name, args, _kwargs in sent] == [
        ("data_request_verification_send_task", (request_id,)),
        ("data_request_process_task", (request_id,)),
    ]
    assert all(not kwargs for _name, _args, kwargs in sent)


def test_operator_commands_export_and_erase(customer, tmp_path):
    out = tmp_path / "export.zip"
    call_command("subject_export", email="erika@example.org", out=out, stdout=io.StringIO())
    assert "Paket Nr. zwölf fehlt" in zipfile.ZipFile(out).read("data.json").decode()

    with pytest.raises(CommandError, match="--yes"):
        call_command("subject_erase", email="erika@example.org")
    printed = io.StringIO()
    call_command("subject_erase", email="erika@example.org", yes=True, stdout=printed)

    assert not DataSubject.objects.exists()
    assert "Erika" not in printed.getvalue() and "Erased." in printed.getvalue()
