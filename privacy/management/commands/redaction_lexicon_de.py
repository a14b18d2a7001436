from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy.redaction.lexicon_de import GERMAN_NOUNS_PATH, lexicons_write
from privacy.redaction.training import training_files_missing


class Command(BaseCommand):
    help = (
        "Write privacy/redaction/place_names.txt (Faker's countries, states and cities) and "
        "german_nouns.txt (the nouns of a German spelling word list, e.g. Debian's wngerman "
        "/usr/share/dict/ngerman), without names: the name recogniser's guesses made of them "
        "are dropped. The lists are shipped; nothing is read at run time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--wordlist",
            type=Path,
            required=True,
            help="German word list, one word a line (wngerman's /usr/share/dict/ngerman)",
        )
        parser.add_argument(
            "--wordlist-source",
            default="Debian wngerman 20161207-11 (igerman98 by Björn Jacke), GPL-2+",
            help="source, version and licence of the word list, for the file's header",
        )
        parser.add_argument(
            "--data-dir", type=Path, required=True, help="directory with the ner_*.jsonl files"
        )
        parser.add_argument("--output-dir", type=Path, default=GERMAN_NOUNS_PATH.parent)

    def handle(
        self,
        *args,
        wordlist: Path,
        wordlist_source: str,
        data_dir: Path,
        output_dir: Path,
        **options,
    ):
        if not wordlist.exists():
            raise CommandError(f"{wordlist}: no such file")
        missing = training_files_missing(data_dir)
        if missing:
            raise CommandError(f"{data_dir}: missing {', '.join(missing)}")
        places, nouns = lexicons_write(
            wordlist=wordlist,
            wordlist_source=wordlist_source,
            data_dir=data_dir,
            output_dir=output_dir,
        )
        self.stdout.write(f"{places} place words and {nouns} nouns written to {output_dir}")
