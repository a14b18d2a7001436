"""The verification mails of typed addresses: one task message for many subjects, one
mail per subject however often the message is delivered."""

import pytest
from django.core import mail

from privacy import tasks
from privacy.models import DataSubject
from privacy.services import data_subject_identify

pytestmark = pytest.mark.django_db


def _claims(count: int) -> list[DataSubject]:
    return [
        data_subject_identify(name=f"Kunde {n}", email=f"kunde{n}@example.org")
        for n in range(count)
    ]


def test_one_message_mails_each_subject_once_in_its_language(django_capture_on_commit_callbacks):
    first, second = _claims(2)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.subject_verifications_send_task([[first.pk, "de"], [second.pk, "en"]])

    assert sorted(m.to[0] for m in mail.outbox) == [first.email, second.email]
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[second.email] == "Please confirm your email address"
    assert subjects[first.email] != subjects[second.email]  # German


def test_a_message_delivered_again_sends_no_mail_twice(django_capture_on_commit_callbacks):
    (subject,) = _claims(1)

    for _delivery in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.subject_verifications_send_task([[subject.pk, "de"]])

    assert [m.to for m in mail.outbox] == [[subject.email]]


def test_an_erased_or_failing_subject_keeps_no_other_from_its_mail(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    erased, failing, fine = _claims(3)
    erased_pk = erased.pk
    erased.delete()
    send = tasks.subject_verification_send

    def fails_for_one(*, subject, language):
        if subject.pk == failing.pk:
            raise OSError("template missing")
        send(subject=subject, language=language)

    monkeypatch.setattr(tasks, "subject_verification_send", fails_for_one)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.subject_verifications_send_task(
            [[erased_pk, "de"], [failing.pk, "de"], [fine.pk, "de"]]
        )

    assert [m.to for m in mail.outbox] == [[fine.email]]
    assert f"subject {failing.pk} not sent" in caplog.text


def test_a_task_queued_before_the_upgrade_still_mails(django_capture_on_commit_callbacks):
    (subject,) = _claims(1)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.subject_verification_send_task(subject.pk, "de")

    assert [m.to for m in mail.outbox] == [[subject.email]]
