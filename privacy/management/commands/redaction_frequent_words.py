from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy.redaction.names import FREQUENT_WORDS_PATH
from privacy.redaction.training import (
    FREQUENT_WORDS_ZIPF,
    frequent_words_build,
    frequent_words_write,
    training_files_missing,
)


class Command(BaseCommand):
    help = (
        "Write privacy/redaction/frequent_words.txt: frequent German and English words "
        "(wordfreq) that are no names, by which the name recogniser's guesses are filtered. "
        "Needs the training extra (wordfreq); the list is shipped, nothing is read at run time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", type=Path, required=True, help="directory with the ner_*.jsonl files"
        )
        parser.add_argument("--zipf", type=float, default=FREQUENT_WORDS_ZIPF)
        parser.add_argument("--output", type=Path, default=FREQUENT_WORDS_PATH)

    def handle(self, *args, data_dir: Path, zipf: float, output: Path, **options):
        missing = training_files_missing(data_dir)
        if missing:
            raise CommandError(f"{data_dir}: missing {', '.join(missing)}")
        try:
            words = frequent_words_build(data_dir=data_dir, zipf=zipf)
        except ImportError as error:
            raise CommandError("wordfreq is missing: pip install '.[training]'") from error
        frequent_words_write(output, words, zipf=zipf)
        self.stdout.write(f"{len(words)} words written to {output}")
