"""Redaction on presidio-research's synthetic English PII sentences, against the first slice.

Run from the repository root: `.venv/bin/python benchmarks/redact_eval_presidio.py
[--data DIR]`. The data is read from DIR, by default the shared folder beside the
checkout (../shared/data/; it is not copied into the project). The
baseline is measured in the same run: the first slice's behaviour, only the three
patterns below (emails, IBANs, phones), which the log filter used until it moved to the
full gate; they live here now, as the yardstick and nowhere else.
"""

import argparse
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO.parent / "shared" / "data"
DATA_FILE = "pii_en_presidio_synth.jsonl"

sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.test")

import django  # noqa: E402

django.setup()

from privacy.redaction import redaction_spans  # noqa: E402
from privacy.redaction.evaluation import (  # noqa: E402
    RedactEvalReport,
    redact_eval_format,
    redact_eval_load,
    redact_eval_run,
)

# The first slice's patterns (formerly privacy/pii_patterns.py), unchanged.
BASELINE_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
BASELINE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
BASELINE_PHONE = re.compile(r"(?<![\w+\-.:/])(?:\+\d|\(?0)[\d ()/\-]{5,}\d(?![\w\-.:])")
_BASELINE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}")


def baseline_phone_accepted(match: re.Match) -> bool:
    """At least 7 digits and not a date, as the first slice required."""
    candidate = match.group(0)
    return sum(ch.isdigit() for ch in candidate) >= 7 and not _BASELINE_DATE.search(candidate)


def baseline_spans(text: str) -> list[tuple[int, int, str]]:
    """Where the baseline patterns put their placeholders, as spans of the original text.

    It substitutes emails, then IBANs, then phones, each stage on the previous
    stage's output; this replays the stages and maps positions back.
    """
    origin = list(range(len(text)))  # position in the current text -> in the original
    current = text
    spans = []
    stages = (
        (BASELINE_EMAIL, "EMAIL", lambda m: True),
        (BASELINE_IBAN, "IBAN", lambda m: True),
        (BASELINE_PHONE, "PHONE", baseline_phone_accepted),
    )
    for regex, label, accepted in stages:
        rebuilt, rebuilt_origin, position = [], [], 0
        for match in regex.finditer(current):
            if not accepted(match):
                continue
            mapped = [i for i in origin[match.start() : match.end()] if i is not None]
            if mapped:
                spans.append((mapped[0], mapped[-1] + 1, label))
            rebuilt.append(current[position : match.start()])
            rebuilt_origin += origin[position : match.start()]
            placeholder = f"[{label}]"
            rebuilt.append(placeholder)
            rebuilt_origin += [None] * len(placeholder)
            position = match.end()
        rebuilt.append(current[position:])
        rebuilt_origin += origin[position:]
        current, origin = "".join(rebuilt), rebuilt_origin
    return spans


def _ratio(new: float | None, old: float | None) -> str:
    if new is None or old is None or old == 0:
        return "–"
    return f"{new / old:.2f}×"


def comparison(ours: RedactEvalReport, baseline: RedactEvalReport) -> str:
    lines = [f"{'figure':<22}{'ours':>10}{'baseline':>10}{'ratio':>9}"]
    for label, figures in ours.labels.items():
        if not figures.gold:
            continue
        base = baseline.labels[label]
        lines.append(
            f"{label + ' recall':<22}{figures.recall:>10.3f}{base.recall:>10.3f}"
            f"{_ratio(figures.recall, base.recall):>9}"
        )
    lines.append(
        f"{'leak rate':<22}{ours.leak_rate:>10.1%}{baseline.leak_rate:>10.1%}"
        f"{_ratio(ours.leak_rate, baseline.leak_rate):>9}"
    )
    lines.append(
        f"{'over-masking':<22}{ours.over_masking:>10.1%}{baseline.over_masking:>10.1%}"
        f"{_ratio(ours.over_masking, baseline.over_masking):>9}"
    )
    lines.append(
        f"{'latency p50 (ms)':<22}{ours.latency_p50_ms:>10.2f}{baseline.latency_p50_ms:>10.2f}"
        f"{_ratio(ours.latency_p50_ms, baseline.latency_p50_ms):>9}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=DATA_DIR, help=f"the folder holding {DATA_FILE}"
    )
    data = parser.parse_args().data / DATA_FILE
    if not data.is_file():
        parser.error(f"{data} does not exist: give the folder of the shared data with --data")
    examples = redact_eval_load(data)
    redaction_spans("Erika Mustermann, Musterstraße 1")  # load the name lists first
    ours = redact_eval_run(examples)
    baseline = redact_eval_run(examples, spans_function=baseline_spans)
    print("== privacy.redaction ==")
    print(redact_eval_format(ours))
    print("\n== baseline: the first slice's patterns (emails, IBANs, phones) ==")
    print(redact_eval_format(baseline))
    print("\n== ours vs baseline ==")
    print(comparison(ours, baseline))


if __name__ == "__main__":
    main()
