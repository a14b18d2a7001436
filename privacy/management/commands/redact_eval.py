import functools
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy.redaction import recogniser, redaction_spans
from privacy.redaction.evaluation import (
    RedactEvalDataError,
    redact_eval_format,
    redact_eval_load,
    redact_eval_run,
)


class Command(BaseCommand):
    help = (
        "Measure redaction on JSON lines {text, spans: [[start, end, label], ...]}: recall "
        "and precision per label, leak rate, over-masking, latency p50/p95; LOCATION, "
        "ORGANIZATION and NEUTRAL spans count neither way. --baseline adds the figures of "
        "patterns and name lists without the trained recogniser, from the same run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True, help="JSON-lines file")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")
        parser.add_argument(
            "--baseline",
            action="store_true",
            help="also measure patterns and name lists alone (without the recogniser)",
        )
        parser.add_argument(
            "--lines",
            choices=("all", "even", "odd"),
            default="all",
            help="only the even or the odd examples (0-based, blank lines skipped): one half "
            "to study errors on, the other to report",
        )
        parser.add_argument(
            "--lang",
            choices=("de", "en"),
            default=None,
            help="the recogniser's language (default: guessed per text)",
        )

        parser.add_argument(
            "--candidate-models",
            type=Path,
            default=None,
            help="also measure the recognisers in DIR/<lang>/ (a candidate artefact) on the "
            "same lines, in the same run",
        )

    def handle(
        self,
        *args,
        data: Path,
        json: bool = False,
        baseline: bool = False,
        lang: str | None = None,
        lines: str = "all",
        candidate_models: Path | None = None,
        **options,
    ):
        try:
            examples = redact_eval_load(data)
        except FileNotFoundError as error:
            raise CommandError(f"{data}: no such file") from error
        except RedactEvalDataError as error:
            raise CommandError(f"{data}: {error}") from error
        if lines != "all":
            examples = examples[0 if lines == "even" else 1 :: 2]
        if not examples:
            raise CommandError(f"{data}: no examples")
        report = redact_eval_run(
            examples, spans_function=functools.partial(redaction_spans, language=lang)
        )
        baseline_report = (
            redact_eval_run(
                examples,
                spans_function=functools.partial(
                    redaction_spans, language=lang, use_recogniser=False
                ),
            )
            if baseline
            else None
        )
        candidate_report = (
            _with_models(
                candidate_models,
                lambda: redact_eval_run(
                    examples, spans_function=functools.partial(redaction_spans, language=lang)
                ),
            )
            if candidate_models
            else None
        )
        if json:
            figures = report.as_dict()
            if baseline_report:
                figures["baseline"] = baseline_report.as_dict()
            if candidate_report:
                figures["candidate"] = candidate_report.as_dict()
            self.stdout.write(_json_dumps(figures))
        else:
            self.stdout.write(redact_eval_format(report))
            if baseline_report:
                self.stdout.write("\nbaseline (patterns and name lists, no recogniser):")
                self.stdout.write(redact_eval_format(baseline_report))
            if candidate_report:
                self.stdout.write(f"\ncandidate (the recognisers in {candidate_models}):")
                self.stdout.write(redact_eval_format(candidate_report))


def _with_models(directory: Path, measure):
    """measure() with the recognisers read from directory, then the shipped ones again."""
    shipped = recogniser.MODELS_DIR
    recogniser.MODELS_DIR = directory
    recogniser.recogniser_reset()
    try:
        return measure()
    finally:
        recogniser.MODELS_DIR = shipped
        recogniser.recogniser_reset()


def _json_dumps(value: dict) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
