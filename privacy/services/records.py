"""The operator's records: Art. 30 as CSV, and review reminders for Art. 28 agreements."""

import csv
import io

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from privacy.activity_texts import processing_activities_in_use
from privacy.models import ProcessingAgreement
from privacy.selectors import agreements_due_for_review, channels_without_agreement
from privacy.services.audit import audit_record

PRIVACY_OFFICER_GROUP = "privacy officer"


def processing_activities_csv() -> str:
    """The record of processing activities (Art. 30(1)) as CSV, one row per activity."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("name"),
            _("purpose"),
            _("legal basis"),
            _("categories of personal data"),
            _("categories of data subjects"),
            _("recipients"),
            _("processors"),
            _("third-country transfers"),
            _("retention"),
            _("technical and organisational measures"),
            _("AI system"),
        ]
    )
    for activity in processing_activities_in_use():
        retention = activity.retention_policy
        writer.writerow(
            [
                activity.name,
                activity.purpose,
                activity.get_legal_basis_display(),
                activity.data_categories,
                activity.subject_categories,
                activity.recipients,
                "; ".join(p.name for p in activity.processors.all()),
                activity.third_country_transfers,
                f"{retention.duration_days} d ({retention.get_category_display()})"
                if retention
                else "",
                activity.technical_measures,
                _("yes") if activity.is_ai_system else _("no"),
            ]
        )
    return buffer.getvalue()


def privacy_officer_emails() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(groups__name=PRIVACY_OFFICER_GROUP, is_active=True)
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


@transaction.atomic
def agreement_reviews_check(*, active_channels: list[str]) -> dict[str, int]:
    """Mark agreements due for review, and tell the privacy officers what needs them.

    Run daily by Celery beat. Safe to repeat: the marking is idempotent; the reminder
    email goes out on every run while something is due (so it cannot be forgotten).
    """
    due = list(agreements_due_for_review())
    marked = ProcessingAgreement.objects.filter(
        pk__in=[a.pk for a in due], status=ProcessingAgreement.Status.ACTIVE
    ).update(status=ProcessingAgreement.Status.EXPIRING)
    missing = channels_without_agreement(active_channels=active_channels)
    recipients = privacy_officer_emails()
    if (due or missing) and recipients:
        body = render_to_string(
            "privacy/email/agreement_reminder.txt", {"due": due, "missing": missing}
        )
        subject = _("Processing agreements need your attention")
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        )
    if due or missing:
        audit_record(
            action="agreements.reminded",
            acting_user=None,
            details={"due": len(due), "channels_without_agreement": missing},
        )
    return {"due": len(due), "marked_expiring": marked, "channels_without_agreement": len(missing)}
