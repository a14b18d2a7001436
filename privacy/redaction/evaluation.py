"""Measuring redaction against hand-labelled text (`manage.py redact_eval`).

Input: JSON lines `{"text": ..., "spans": [[start, end, label], ...]}` with gold labels
PERSON EMAIL PHONE IBAN CREDIT_CARD ADDRESS ID (and DATE_OF_BIRTH, where a data set
has it); NEUTRAL marks text that counts neither way (places, organisations, dates), and
so do LOCATION and ORGANIZATION (the labels of the NER sets): a place or a company is
no personal data on its own, so masking it is no over-masking and leaving it no leak.

Figures, all on non-blank characters, so the spaces between masked words count
neither as leaked nor as over-masked:

- recall per gold label: share of its spans whose every character is masked,
  whatever the placeholder (a name hidden as [ADDRESS] has not leaked); for PERSON
  also the recall of one-word names ("Müller hat angerufen"), the hardest kind;
- precision per predicted label (NAME reported as PERSON): share of the predicted
  spans that overlap a gold span of that label; spans wholly inside NEUTRAL text
  are not counted;
- leak rate: share of personal-data characters left unmasked;
- over-masking: share of the masked characters outside NEUTRAL text that are no
  personal data.

DATE_OF_BIRTH is reported as a label of its own, not folded into ID: a birth date
is no identifier of an account, and a data set without it (presidio's marks dates
NEUTRAL) then simply shows its precision against nothing.
"""

import json
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from privacy.redaction import RedactionSpan, redaction_spans

GOLD_LABELS = ("PERSON", "EMAIL", "PHONE", "IBAN", "CREDIT_CARD", "ADDRESS", "ID", "DATE_OF_BIRTH")
NEUTRAL = "NEUTRAL"
# Labels that count as NEUTRAL.
NEUTRAL_LABELS = frozenset({NEUTRAL, "LOCATION", "ORGANIZATION"})
# Our placeholders' labels as the gold data names them.
PREDICTED_TO_GOLD = {
    "NAME": "PERSON",
    "EMAIL": "EMAIL",
    "PHONE": "PHONE",
    "IBAN": "IBAN",
    "CREDIT_CARD": "CREDIT_CARD",
    "ADDRESS": "ADDRESS",
    "ID": "ID",
    "DATE_OF_BIRTH": "DATE_OF_BIRTH",
}

SpansFunction = Callable[[str], Iterable[RedactionSpan | tuple[int, int, str]]]


class RedactEvalDataError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class EvalExample:
    text: str
    spans: tuple[tuple[int, int, str], ...]


@dataclass
class LabelFigures:
    gold: int = 0
    gold_masked: int = 0
    predicted: int = 0
    predicted_correct: int = 0

    @property
    def recall(self) -> float | None:
        return self.gold_masked / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        return self.predicted_correct / self.predicted if self.predicted else None


@dataclass
class RedactEvalReport:
    examples: int = 0
    labels: dict[str, LabelFigures] = field(
        default_factory=lambda: {label: LabelFigures() for label in GOLD_LABELS}
    )
    personal_chars: int = 0
    leaked_chars: int = 0
    masked_chars: int = 0
    over_masked_chars: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    # CPU time of this process per message: what one core spends, whatever else runs.
    cpu_ms: list[float] = field(default_factory=list)
    person_one_word: LabelFigures = field(default_factory=LabelFigures)

    @property
    def leak_rate(self) -> float | None:
        return self.leaked_chars / self.personal_chars if self.personal_chars else None

    @property
    def over_masking(self) -> float | None:
        return self.over_masked_chars / self.masked_chars if self.masked_chars else None

    @property
    def latency_p50_ms(self) -> float | None:
        return statistics.median(self.latencies_ms) if self.latencies_ms else None

    @property
    def latency_p95_ms(self) -> float | None:
        return _p95(self.latencies_ms)

    @property
    def cpu_p50_ms(self) -> float | None:
        return statistics.median(self.cpu_ms) if self.cpu_ms else None

    @property
    def cpu_p95_ms(self) -> float | None:
        return _p95(self.cpu_ms)

    def as_dict(self) -> dict:
        return {
            "examples": self.examples,
            "labels": {
                label: {
                    "gold": figures.gold,
                    "recall": _rounded(figures.recall),
                    "predicted": figures.predicted,
                    "precision": _rounded(figures.precision),
                }
                for label, figures in self.labels.items()
                if figures.gold or figures.predicted
            },
            "person_one_word_recall": _rounded(self.person_one_word.recall),
            "person_one_word_gold": self.person_one_word.gold,
            "leak_rate": _rounded(self.leak_rate),
            "over_masking": _rounded(self.over_masking),
            "personal_chars": self.personal_chars,
            "leaked_chars": self.leaked_chars,
            "masked_chars": self.masked_chars,
            "over_masked_chars": self.over_masked_chars,
            "latency_p50_ms": _rounded(self.latency_p50_ms),
            "latency_p95_ms": _rounded(self.latency_p95_ms),
            "cpu_p50_ms": _rounded(self.cpu_p50_ms),
            "cpu_p95_ms": _rounded(self.cpu_p95_ms),
        }


def _p95(values: list[float]) -> float | None:
    if len(values) < 2:
        return statistics.median(values) if values else None
    return statistics.quantiles(values, n=20)[-1]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def redact_eval_load(path: Path) -> list[EvalExample]:
    """The examples of a JSON-lines file; RedactEvalDataError names the first bad line."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                examples.append(redact_eval_parse_line(line, line_number=number))
    return examples


def redact_eval_parse_line(line: str, *, line_number: int) -> EvalExample:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise RedactEvalDataError(line_number, f"not JSON ({error.msg})") from error
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise RedactEvalDataError(line_number, 'expected an object with a string "text"')
    text = record["text"]
    raw_spans = record.get("spans", [])
    if not isinstance(raw_spans, list):
        raise RedactEvalDataError(line_number, '"spans" must be a list')
    spans = []
    for raw in raw_spans:
        if (
            not isinstance(raw, list)
            or len(raw) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw[:2])
            or not isinstance(raw[2], str)
        ):
            raise RedactEvalDataError(line_number, f"a span must be [start, end, label]: {raw!r}")
        start, end, label = raw
        if label not in GOLD_LABELS and label not in NEUTRAL_LABELS:
            raise RedactEvalDataError(line_number, f"unknown label {label!r}")
        if not 0 <= start < end <= len(text):
            raise RedactEvalDataError(
                line_number, f"span {raw!r} is outside the text ({len(text)} characters)"
            )
        spans.append((start, end, NEUTRAL if label in NEUTRAL_LABELS else label))
    return EvalExample(text=text, spans=tuple(spans))


def _chars(text: str, spans: Iterable[tuple[int, int, str]]) -> set[int]:
    return {i for start, end, _ in spans for i in range(start, end) if not text[i].isspace()}


def redact_eval_run(
    examples: Sequence[EvalExample], *, spans_function: SpansFunction | None = None
) -> RedactEvalReport:
    """Redact every example with spans_function (default: redaction_spans) and score it."""
    spans_function = spans_function or redaction_spans
    report = RedactEvalReport(examples=len(examples))
    # Load what the detectors load (name lists, the recogniser) before the clock runs.
    spans_function("Hallo, ich heiße Erika Mustermann. My name is John Smith.")
    for example in examples:
        text = example.text
        began, began_cpu = time.perf_counter(), time.process_time()
        predicted = [tuple(span) for span in spans_function(text)]
        report.cpu_ms.append((time.process_time() - began_cpu) * 1000)
        report.latencies_ms.append((time.perf_counter() - began) * 1000)

        gold = [span for span in example.spans if span[2] != NEUTRAL]
        neutral = _chars(text, [span for span in example.spans if span[2] == NEUTRAL])
        personal = _chars(text, gold)
        masked = _chars(text, predicted)
        report.personal_chars += len(personal)
        report.leaked_chars += len(personal - masked)
        report.masked_chars += len(masked - neutral)
        report.over_masked_chars += len(masked - neutral - personal)

        for start, end, label in gold:
            figures = report.labels[label]
            figures.gold += 1
            span_chars = _chars(text, [(start, end, label)])
            if span_chars <= masked:
                figures.gold_masked += 1
            if label == "PERSON" and len(text[start:end].split()) == 1:
                report.person_one_word.gold += 1
                report.person_one_word.gold_masked += span_chars <= masked
        for start, end, label in predicted:
            gold_label = PREDICTED_TO_GOLD.get(label, label)
            span_chars = _chars(text, [(start, end, label)])
            if not span_chars or span_chars <= neutral:
                continue
            figures = report.labels.setdefault(gold_label, LabelFigures())
            figures.predicted += 1
            if any(
                g_label == gold_label and g_start < end and start < g_end
                for g_start, g_end, g_label in gold
            ):
                figures.predicted_correct += 1
    return report


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def redact_eval_format(report: RedactEvalReport) -> str:
    """A plain-text table of the report."""
    lines = [
        f"{report.examples} examples",
        f"{'label':<14}{'gold':>6}{'recall':>9}{'predicted':>11}{'precision':>11}",
    ]
    for label, figures in report.labels.items():
        if figures.gold or figures.predicted:
            lines.append(
                f"{label:<14}{figures.gold:>6}{_ratio(figures.recall):>9}"
                f"{figures.predicted:>11}{_ratio(figures.precision):>11}"
            )
    if report.person_one_word.gold:
        lines.append(
            f"{'PERSON 1 word':<14}{report.person_one_word.gold:>6}"
            f"{_ratio(report.person_one_word.recall):>9}"
        )
    lines += [
        f"leak rate     {_percent(report.leak_rate)} "
        f"({report.leaked_chars} of {report.personal_chars} personal-data characters unmasked)",
        f"over-masking  {_percent(report.over_masking)} "
        f"({report.over_masked_chars} of {report.masked_chars} masked characters not personal)",
        f"latency       p50 {report.latency_p50_ms or 0:.2f} ms, "
        f"p95 {report.latency_p95_ms or 0:.2f} ms per message "
        f"(CPU time: p50 {report.cpu_p50_ms or 0:.2f} ms, p95 {report.cpu_p95_ms or 0:.2f} ms)",
    ]
    return "\n".join(lines)
