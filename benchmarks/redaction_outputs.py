"""Redacted outputs of a large, varied corpus: to prove two versions of the redaction give
the same results, and to time it per question.

    .venv/bin/python benchmarks/redaction_outputs.py --out /tmp/new.jsonl
    (cd /tmp/base && .venv/bin/python benchmarks/redaction_outputs.py --out /tmp/old.jsonl)
    .venv/bin/python benchmarks/redaction_outputs.py --compare /tmp/old.jsonl /tmp/new.jsonl
    .venv/bin/python benchmarks/redaction_outputs.py --time   # CPU per demo question

The corpus: the bot's training texts (the demo questions, CLINC150 train and validation,
BANKING77, xSID German: 28,711), presidio-research's synthetic PII sentences, GermEval
2014 dev and `redact_letters_de.py --seed 15`; the public sets are read from
../shared/data/ (not copied into the project), a missing one is skipped and said so.
Each text is redacted twice: patterns and name lists alone (`use_recogniser=False`, a
fixed allow-list), and through the chat's gate (`texts_redact`, the recogniser included,
the gold names of the labelled sets as the subject's known names).
"""

import argparse
import hashlib
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

logger = logging.getLogger("redaction_outputs")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
DEMO_QUESTIONS = REPO / "benchmarks" / "demo_questions.jsonl"
BOT_SETS = (
    "clinc150_train.jsonl",
    "clinc150_val.jsonl",
    "banking77_train.jsonl",
    "xsid_de_train.jsonl",
)
LABELLED_SETS = ("pii_en_presidio_synth.jsonl", "ner_de_germeval2014_dev.jsonl")
# Words an admin could allow (products that look like names): exercises the allow-list.
ALLOWED_WORDS = ("Paula", "Rose", "Apple", "Klarna")
BATCH = 32

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings.test")


def _records(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _gold_names(record: dict) -> list[str]:
    return [
        record["text"][start:end]
        for start, end, label in record.get("spans", ())
        if label in ("PERSON", "NAME")
    ]


def corpus(data: Path, letters_seed: int) -> list[tuple[str, str, list[str]]]:
    """(corpus name, text, known names) for every text."""
    from redact_letters_de import letters

    items = [("demo", r["text"], []) for r in _records(DEMO_QUESTIONS)]
    for name in (*BOT_SETS, *LABELLED_SETS):
        path = data / name
        if not path.exists():
            logger.warning("skipped (missing): %s", path)
            continue
        items += [(name, r["text"], _gold_names(r)) for r in _records(path)]
    items += [
        (f"letters_de_seed{letters_seed}", r["text"], _gold_names(r))
        for r in letters(120, letters_seed)
    ]
    return items


def outputs(items: list[tuple[str, str, list[str]]]) -> list[list[str]]:
    """[corpus, patterns-and-lists output, gate output] per text."""
    from privacy.redaction import text_redact, texts_redact

    rows = []
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        gate = texts_redact([text for _, text, _ in batch], known_names=[k for _, _, k in batch])
        for (name, text, known), through_gate in zip(batch, gate, strict=True):
            lists_only = text_redact(
                text, known_names=known, use_recogniser=False, allowed_words=ALLOWED_WORDS
            )
            rows.append([name, lists_only, through_gate])
    return rows


def compare(old_path: Path, new_path: Path) -> int:
    old, new = _records(old_path), _records(new_path)
    if len(old) != len(new):
        logger.info("different lengths: %d vs %d", len(old), len(new))
        return 1
    differing = [(i, a, b) for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    per_corpus: dict[str, int] = {}
    for row in old:
        per_corpus[row[0]] = per_corpus.get(row[0], 0) + 1
    for name, count in per_corpus.items():
        logger.info("%s: %d texts", name, count)
    logger.info("%d texts, %d outputs differ", len(old), len(differing))
    # Where they differ, not what: an output that differs may hold what the other hid.
    for index, a, _b in differing[:10]:
        logger.info("differs: text #%d of %s", index, a[0])
    return 1 if differing else 0


def timing(rounds: int) -> None:
    """CPU per demo question (thread time), patterns and lists alone and with the recogniser."""
    from privacy.redaction import text_redact

    questions = [r["text"] for r in _records(DEMO_QUESTIONS)]
    for use_recogniser in (False, True):
        for text in questions:  # load the lists and models
            text_redact(text, use_recogniser=use_recogniser, allowed_words=())
        times = []
        for _ in range(rounds):
            for text in questions:
                started = time.thread_time_ns()
                text_redact(text, use_recogniser=use_recogniser, allowed_words=())
                times.append((time.thread_time_ns() - started) / 1e6)
        times.sort()
        label = "with recogniser" if use_recogniser else "patterns and lists"
        logger.info(
            "%s: %d questions x %d: p50 %.3f ms, p95 %.3f ms, mean %.3f ms",
            label,
            len(questions),
            rounds,
            times[len(times) // 2],
            times[int(len(times) * 0.95)],
            statistics.fmean(times),
        )


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the outputs here (JSON lines)")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("OLD", "NEW"))
    parser.add_argument("--time", action="store_true", help="CPU per demo question")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--letters-seed", type=int, default=15)
    arguments = parser.parse_args()
    if arguments.compare:
        return compare(*arguments.compare)
    import django

    django.setup()
    if arguments.time:
        timing(arguments.rounds)
    if arguments.out:
        items = corpus(arguments.data, arguments.letters_seed)
        started = time.process_time()
        rows = outputs(items)
        elapsed = time.process_time() - started
        with arguments.out.open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        digest = hashlib.sha256(arguments.out.read_bytes()).hexdigest()[:16]
        logger.info(
            "%d texts redacted in %.1f s CPU; outputs sha256 %s", len(rows), elapsed, digest
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
