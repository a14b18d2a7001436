from django.core.management.base import BaseCommand, CommandError

from privacy.crypto import email_blind_index
from privacy.models import AuditEvent
from privacy.services import subject_erase, subject_verified_by_index


class Command(BaseCommand):
    help = "Erase everything held about the subject with this email (Art. 17). Irreversible."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--yes", action="store_true", help="Confirm the erasure.")

    def handle(self, *args, email: str, yes: bool, **options):
        if not yes:
            raise CommandError("Erasure cannot be undone: add --yes to confirm.")
        subject = subject_verified_by_index(email_index=email_blind_index(email))
        if subject is None:
            raise CommandError("No verified data subject has this email address.")
        counts = subject_erase(
            subject=subject, acting_user=None, reason_code=AuditEvent.Reason.OPERATOR
        )
        for provider, provider_counts in counts.items():
            self.stdout.write(f"{provider}: {provider_counts}")
        self.stdout.write(self.style.SUCCESS("Erased."))
