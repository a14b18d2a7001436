"""The synthetic letters of benchmarks/redact_letters_de.py: valid for `redact_eval`, the
same for a seed, and each gold span covers what its label says."""

import json
import re

from benchmarks.redact_letters_de import letters
from privacy.redaction.evaluation import redact_eval_parse_line


def test_every_letter_is_a_valid_redact_eval_line_with_disjoint_spans():
    for number, record in enumerate(letters(24, seed=7), start=1):
        example = redact_eval_parse_line(json.dumps(record), line_number=number)
        spans = sorted(example.spans)
        assert all(left[1] <= right[0] for left, right in zip(spans, spans[1:], strict=False))


def test_a_seed_gives_the_same_letters_and_another_seed_others():
    assert letters(6, seed=7) == letters(6, seed=7)
    assert letters(6, seed=7) != letters(6, seed=8)


def test_the_gold_spans_hold_what_their_labels_say():
    records = letters(24, seed=7)
    labelled = {
        label: [
            record["text"][start:end]
            for record in records
            for start, end, lab in record["spans"]
            if lab == label
        ]
        for label in ("ID", "DATE_OF_BIRTH", "PHONE", "ADDRESS", "PERSON")
    }
    assert all(any(ch.isdigit() for ch in value) for value in labelled["ID"])
    assert all(
        re.fullmatch(r"\d\d\.\d\d\.(?:\d\d)?\d\d", value) for value in labelled["DATE_OF_BIRTH"]
    )
    assert all(sum(ch.isdigit() for ch in value) >= 6 for value in labelled["PHONE"])
    assert all(
        value.strip() == value and value for value in labelled["ADDRESS"] + labelled["PERSON"]
    )
    # every kind of text is there: letters, e-mails, forms, English e-mails
    texts = [record["text"] for record in records]
    assert any("Entlassungsbericht" in t or "Arztbrief" in t for t in texts)
    assert any(t.startswith("Anrede:") for t in texts)
    assert any("Thanks," in t for t in texts)
