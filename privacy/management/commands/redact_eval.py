import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from privacy.redaction.evaluation import (
    RedactEvalDataError,
    redact_eval_format,
    redact_eval_load,
    redact_eval_run,
)


class Command(BaseCommand):
    help = (
        "Measure redaction on JSON lines {text, spans: [[start, end, label], ...]}: recall "
        "and precision per label, leak rate, over-masking, latency."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, required=True, help="JSON-lines file")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, data: Path, json: bool = False, **options):
        try:
            examples = redact_eval_load(data)
        except FileNotFoundError as error:
            raise CommandError(f"{data}: no such file") from error
        except RedactEvalDataError as error:
            raise CommandError(f"{data}: {error}") from error
        if not examples:
            raise CommandError(f"{data}: no examples")
        report = redact_eval_run(examples)
        if json:
            self.stdout.write(_json_dumps(report.as_dict()))
        else:
            self.stdout.write(redact_eval_format(report))


def _json_dumps(value: dict) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
