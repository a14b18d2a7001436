from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy.crypto import email_blind_index
from privacy.services import data_export_archive, subject_export, subject_verified_by_index


class Command(BaseCommand):
    help = "Write everything held about the subject with this email to a ZIP (Art. 15)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--language", default="de")

    def handle(self, *args, email: str, out: Path, language: str, **options):
        subject = subject_verified_by_index(email_index=email_blind_index(email))
        if subject is None:
            raise CommandError("No verified data subject has this email address.")
        archive = data_export_archive(subject=subject, language=language)
        out.write_bytes(archive)
        counts = {
            name: len(data)
            for name, data in subject_export(subject=subject, acting_user=None)["data"].items()
        }
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {out} ({len(archive)} bytes); sections: {counts}")
        )
