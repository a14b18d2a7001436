import json
import resource
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from spacy.util import get_lang_class

from bot.nlu.evaluation import (
    IntentDataError,
    intent_comparison_lines,
    intent_comparison_run,
    intent_evaluation_lines,
    intent_examples_read,
)
from bot.nlu.intents import IntentModelError


def _share(value: str) -> float:
    share = float(value)
    if not 0.0 <= share < 1.0:
        raise ValueError(value)
    return share


class Command(BaseCommand):
    help = (
        "Train a fresh intent classifier on --train (JSON lines {text, intent}; intent "
        '"oos" = must not be answered) and report how it does on --test, beside a '
        "tf-idf + logistic regression baseline trained and calibrated on the same split. "
        "Lines that are not examples are reported and skipped. "
        "Touches neither the live model nor the database."
    )
    # Reads two files and computes; the project's checks have nothing to say about that.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--train",
            type=Path,
            nargs="+",
            required=True,
            help='training examples, one file or several (such as in-scope and "oos" ones)',
        )
        parser.add_argument("--test", type=Path, required=True, help="test examples")
        parser.add_argument("--lang", default="en", help="language of the data (default en)")
        parser.add_argument("--seed", type=int, default=0, help="seed of split and training")
        parser.add_argument(
            "--out-of-scope-share",
            type=_share,
            default=None,
            help="share of out-of-scope questions to calibrate for "
            "(default: the setting BOT_OUT_OF_SCOPE_SHARE)",
        )
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, train: list[Path], test: Path, lang: str, seed: int, **options):
        try:
            get_lang_class(lang)
        except ImportError as error:
            raise CommandError(f"Unknown language {lang!r}.") from error
        skipped: list[str] = []
        try:
            comparison = intent_comparison_run(
                train=[
                    example
                    for path in train
                    for example in intent_examples_read(path, skipped=skipped)
                ],
                test=intent_examples_read(test, skipped=skipped),
                language=lang,
                seed=seed,
                out_of_scope_share=options["out_of_scope_share"],
            )
        except (IntentDataError, IntentModelError) as error:
            raise CommandError(str(error)) from error
        for problem in skipped:
            self.stderr.write(f"Skipped: {problem}")
        ours, baseline = comparison["ours"], comparison["baseline"]
        # Both models, the sentence encoder and the data: what evaluating (and about what
        # training) needs at most. Linux reports kilobytes.
        peak_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ours": ours.to_dict(),
                        "baseline": baseline.to_dict(),
                        "ratios": comparison["ratios"],
                        "skipped": skipped,
                        "peak_memory_mb": peak_memory_mb,
                    }
                )
            )
            return
        lines = [
            *intent_evaluation_lines(ours),
            "",
            *intent_evaluation_lines(baseline),
            "",
            *intent_comparison_lines(ours, baseline),
            "",
            f"Peak memory of this process: {peak_memory_mb} MB.",
        ]
        if skipped:
            lines += ["", f"{len(skipped)} lines skipped (see above)."]
        self.stdout.write("\n".join(lines))
