import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from spacy.util import get_lang_class

from bot.nlu.evaluation import (
    IntentDataError,
    intent_evaluation_lines,
    intent_evaluation_run,
    intent_examples_read,
)
from bot.nlu.intents import IntentModelError


class Command(BaseCommand):
    help = (
        "Train a fresh intent classifier on --train (JSON lines {text, intent}; intent "
        '"oos" = must not be answered) and report how it does on --test. '
        "Touches neither the live model nor the database."
    )
    # Reads two files and computes; the project's checks have nothing to say about that.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--train", type=Path, required=True, help="training examples")
        parser.add_argument("--test", type=Path, required=True, help="test examples")
        parser.add_argument("--lang", default="en", help="language of the data (default en)")
        parser.add_argument("--seed", type=int, default=0, help="seed of split and training")
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, train: Path, test: Path, lang: str, seed: int, **options):
        try:
            get_lang_class(lang)
        except ImportError as error:
            raise CommandError(f"Unknown language {lang!r}.") from error
        try:
            evaluation = intent_evaluation_run(
                train=intent_examples_read(train),
                test=intent_examples_read(test),
                language=lang,
                seed=seed,
            )
        except (IntentDataError, IntentModelError) as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps(evaluation.to_dict()))
        else:
            self.stdout.write("\n".join(intent_evaluation_lines(evaluation)))
