"""`manage.py redact_eval`: figures on a small labelled file, JSON output, bad input."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from privacy.redaction.evaluation import EvalExample, redact_eval_run

LINES = [
    # "Erika Mustermann" and the email are masked; "Berlin" is NEUTRAL.
    {
        "text": "Ich bin Erika Mustermann aus Berlin, erika@example.de",
        "spans": [[8, 24, "PERSON"], [29, 35, "NEUTRAL"], [37, 53, "EMAIL"]],
    },
    # The phone number is masked; nothing is personal in the second sentence.
    {"text": "Ruf mich an: 0171 2345678. Danke!", "spans": [[13, 25, "PHONE"]]},
    {"text": "Wann kommt mein Paket?", "spans": []},
]


def write_lines(tmp_path, lines):
    path = tmp_path / "pii.jsonl"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def run_command(*args):
    out = StringIO()
    call_command("redact_eval", *args, stdout=out)
    return out.getvalue()


def test_command_prints_recall_precision_leak_rate_and_over_masking(tmp_path):
    output = run_command("--data", str(write_lines(tmp_path, LINES)))

    assert "3 examples" in output
    assert "PERSON" in output and "EMAIL" in output and "PHONE" in output
    assert "leak rate     0.0%" in output
    assert "over-masking  0.0%" in output


def test_command_prints_json_with_the_same_figures(tmp_path):
    figures = json.loads(run_command("--data", str(write_lines(tmp_path, LINES)), "--json"))

    assert figures["examples"] == 3
    assert figures["labels"]["PERSON"] == {
        "gold": 1,
        "recall": 1.0,
        "predicted": 1,
        "precision": 1.0,
    }
    assert figures["labels"]["PHONE"]["recall"] == 1.0
    assert figures["leak_rate"] == 0.0
    assert figures["over_masking"] == 0.0
    assert figures["latency_p50_ms"] >= 0


def test_leaked_and_over_masked_characters_are_counted_without_blanks():
    # Gold says "Paket" is a person: masking nothing leaks its 5 characters; the
    # predicted span over "Hallo" masks 5 characters that are no personal data.
    example = EvalExample(text="Hallo Paket", spans=((6, 11, "PERSON"),))

    report = redact_eval_run([example], spans_function=lambda text: [(0, 5, "NAME")])

    assert report.leak_rate == 1.0
    assert report.over_masking == 1.0
    assert report.labels["PERSON"].recall == 0.0
    assert report.labels["PERSON"].precision == 0.0


def test_predictions_inside_neutral_text_count_neither_way():
    example = EvalExample(text="Wir sind in Berlin", spans=((12, 18, "NEUTRAL"),))

    report = redact_eval_run([example], spans_function=lambda text: [(12, 18, "ADDRESS")])

    assert report.over_masking is None
    assert report.labels["ADDRESS"].predicted == 0


def test_command_names_the_line_of_invalid_json(tmp_path):
    path = write_lines(tmp_path, [LINES[0], "{not json"])

    with pytest.raises(CommandError, match="line 2: not JSON"):
        run_command("--data", str(path))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"spans": []}, 'string "text"'),
        ({"text": "abc", "spans": [[0, 9, "PERSON"]]}, "outside the text"),
        ({"text": "abc", "spans": [[0, 2, "SHOE_SIZE"]]}, "unknown label"),
        ({"text": "abc", "spans": [[0, 2]]}, r"\[start, end, label\]"),
        ({"text": "abc", "spans": "none"}, "must be a list"),
    ],
)
def test_command_names_the_line_of_an_invalid_record(tmp_path, line, message):
    path = write_lines(tmp_path, [LINES[1], line])

    with pytest.raises(CommandError, match=f"line 2: .*{message}"):
        run_command("--data", str(path))


def test_command_rejects_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_command("--data", str(tmp_path / "missing.jsonl"))


def test_command_rejects_a_file_without_examples(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")

    with pytest.raises(CommandError, match="no examples"):
        run_command("--data", str(path))


def test_command_requires_data():
    with pytest.raises(CommandError, match="--data"):
        call_command("redact_eval")


NER_LINES = [
    # The NER sets' labels: PERSON must be masked; the place and the company count neither way.
    {
        "text": "Piechotta hat aus Hamburg angerufen , nicht von DHL .",
        "spans": [[0, 9, "PERSON"], [18, 25, "LOCATION"], [48, 51, "ORGANIZATION"]],
    },
    {"text": "Pemberton called from Leeds .", "spans": [[0, 9, "PERSON"], [22, 27, "LOCATION"]]},
]


def test_location_and_organization_spans_count_as_neutral():
    # A detector that masks everything: the person is found, and masking the place and
    # the company is no over-masking.
    example = EvalExample(
        text="Anna aus Hamburg bei DHL",
        spans=((0, 4, "PERSON"), (9, 16, "NEUTRAL"), (21, 24, "NEUTRAL")),
    )
    report = redact_eval_run(
        [example],
        spans_function=lambda text: [(0, 4, "NAME"), (9, 16, "ADDRESS"), (21, 24, "NAME")],
    )

    assert report.leak_rate == 0.0
    assert report.over_masking == 0.0
    assert report.labels["PERSON"].precision == 1.0


def test_command_reads_location_and_organization_and_prints_the_baseline(tmp_path):
    output = run_command("--data", str(write_lines(tmp_path, NER_LINES)), "--baseline")

    model, baseline = output.split("baseline (patterns and name lists, no recogniser):")
    assert "PERSON" in model and "PERSON 1 word" in model
    assert "latency       p50" in model and "p95" in model
    assert "leak rate" in baseline and "over-masking" in baseline


def test_command_json_holds_the_baseline_from_the_same_run(tmp_path):
    figures = json.loads(
        run_command("--data", str(write_lines(tmp_path, NER_LINES)), "--baseline", "--json")
    )

    # The recogniser finds both lone surnames; patterns and name lists alone find neither.
    assert figures["labels"]["PERSON"]["recall"] == 1.0
    assert figures["person_one_word_recall"] == 1.0
    assert figures["baseline"]["labels"]["PERSON"]["recall"] == 0.0
    assert figures["leak_rate"] == 0.0
    assert figures["baseline"]["leak_rate"] == 1.0
    assert figures["latency_p95_ms"] >= figures["latency_p50_ms"] >= 0


@pytest.mark.parametrize(("lines", "examples"), [("even", 2), ("odd", 1), ("all", 3)])
def test_command_measures_one_half_of_a_file(tmp_path, lines, examples):
    figures = json.loads(
        run_command("--data", str(write_lines(tmp_path, LINES)), "--lines", lines, "--json")
    )

    assert figures["examples"] == examples
    # the phone number is in the odd half only (0-based line 1)
    assert ("PHONE" in figures["labels"]) == (lines != "even")


def test_a_candidate_artefact_is_measured_on_the_same_lines_and_the_shipped_one_comes_back(
    tmp_path,
):
    from privacy.redaction import recogniser

    shipped = recogniser.MODELS_DIR
    line = {"text": "Wüstenhagen wohnt nebenan.", "spans": [[0, 11, "PERSON"]]}
    # An empty candidate directory: no recogniser, so only the lists are left.
    figures = json.loads(
        run_command(
            "--data", str(write_lines(tmp_path, [line])), "--json", "--lang", "de",
            "--baseline", "--candidate-models", str(tmp_path / "none"),
        )
    )  # fmt: skip

    assert figures["candidate"]["labels"]["PERSON"] == figures["baseline"]["labels"]["PERSON"]
    assert recogniser.MODELS_DIR == shipped
    assert recogniser.recogniser("de") is not None
