from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy.redaction.medical_words import (
    MEDICAL_WORDS_PATH,
    SOURCE_FILE,
    SOURCE_PACKAGE,
    medical_words_build,
    medical_words_write,
)


class Command(BaseCommand):
    help = (
        "Write privacy/redaction/medical_words_de.txt: German medical words (drugs, "
        "diagnoses) that are no names, by which the name recogniser's guesses are filtered. "
        f"Reads {SOURCE_FILE} of Debian's {SOURCE_PACKAGE}, unpacked anywhere: "
        f"`apt-get download {SOURCE_PACKAGE} && dpkg -x {SOURCE_PACKAGE}_*.deb DIR`. "
        "The list is shipped; nothing is read at run time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source", type=Path, required=True, help=f"the word list ({SOURCE_FILE})"
        )
        parser.add_argument(
            "--source-version",
            required=True,
            help=f"the version of {SOURCE_PACKAGE} it comes from, for the file's header",
        )
        parser.add_argument("--output", type=Path, default=MEDICAL_WORDS_PATH)

    def handle(self, *args, source: Path, source_version: str, output: Path, **options):
        try:
            source_words = source.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise CommandError(f"{source}: {error}") from error
        words = medical_words_build(source_words)
        medical_words_write(output, words, source=source, version=source_version)
        self.stdout.write(f"{len(words)} words written to {output}")
