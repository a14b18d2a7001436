from django.db.models import QuerySet

from privacy.models import LegalHold


def legal_hold_subject_ids() -> QuerySet:
    """Ids of subjects under an active legal hold (a subquery, not a list)."""
    return LegalHold.objects.filter(released_at__isnull=True, subject__isnull=False).values(
        "subject_id"
    )


def legal_hold_references() -> QuerySet:
    """Public ids of conversations under an active legal hold (a subquery)."""
    return LegalHold.objects.filter(released_at__isnull=True, reference__isnull=False).values(
        "reference"
    )
