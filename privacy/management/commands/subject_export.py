import io
import json
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy.crypto import email_blind_index
from privacy.services import data_export_archive, subject_verified_by_index


class Command(BaseCommand):
    help = "Write everything held about the subject with this email to a ZIP (Art. 15)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--out", required=True, type=Path)
        # Default: the language the subject last wrote in (German or English).
        parser.add_argument("--language", default=None, choices=["de", "en"])

    def handle(self, *args, email: str, out: Path, language: str | None, **options):
        subject = subject_verified_by_index(email_index=email_blind_index(email))
        if subject is None:
            raise CommandError("No verified data subject has this email address.")
        archive = data_export_archive(subject=subject, language=language)
        out.write_bytes(archive)
        # Counted from the archive just written: exporting again would be a second
        # (audited) export of the subject.
        exported = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("data.json"))
        counts = {name: len(data) for name, data in exported["data"].items()}
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {out} ({len(archive)} bytes); sections: {counts}")
        )
