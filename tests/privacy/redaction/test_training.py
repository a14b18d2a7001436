"""`manage.py redaction_train`: a reproducible artefact with its data, seed, configuration
and checksums (on a tiny data set: one epoch, a few sentences)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from privacy.redaction import training
from privacy.redaction.chat_sentences import chat_sentences
from privacy.redaction.recogniser import artefact_verify

GERMEVAL = [
    {"text": "Müller hat angerufen .", "spans": [[0, 6, "PERSON"]]},
    {"text": "Er wohnt in Hamburg .", "spans": [[12, 19, "LOCATION"]]},
    {
        "text": "Anna Schmidt arbeitet bei Siemens .",
        "spans": [[0, 12, "PERSON"], [26, 33, "ORGANIZATION"]],
    },
]


@pytest.fixture
def tiny_data(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    lines = "\n".join(json.dumps(line) for line in GERMEVAL * 3) + "\n"
    (data / "ner_de_germeval2014_dev.jsonl").write_text(lines, encoding="utf-8")
    monkeypatch.setitem(
        training.TRAINING_FILES,
        "de",
        (training.DataFile("ner_de_germeval2014_dev.jsonl", modulo=3, held_out=0),),
    )
    return data


def train(data, output, seed=7):
    out = StringIO()
    call_command(
        "redaction_train",
        "--lang", "de", "--data-dir", str(data), "--seed", str(seed),
        "--epochs", "1", "--generated", "30",
        "--output", str(output), "--holdout-out", str(output.parent / "holdout"),
        stdout=out,
    )  # fmt: skip
    return out.getvalue()


def test_training_writes_an_artefact_that_records_data_seed_config_and_checksums(
    tiny_data, tmp_path
):
    output = train(tiny_data, tmp_path / "model")

    assert "written to" in output
    record = artefact_verify(tmp_path / "model")
    assert record["seed"] == 7
    assert record["config"]["epochs"] == 1
    source = record["training_data"][0]
    assert source["file"] == "ner_de_germeval2014_dev.jsonl"
    assert source["sentences"] == 6  # every third line held out
    assert len(source["sha256"]) == 64
    assert record["training_data"][1]["sentences"] == 30
    assert "non_names.txt" in record["files"]
    held_out = (tmp_path / "holdout" / "ner_de_germeval2014_dev.heldout.jsonl").read_text()
    assert len(held_out.splitlines()) == 3


def test_the_same_data_and_seed_give_the_same_model(tiny_data, tmp_path):
    train(tiny_data, tmp_path / "first")
    train(tiny_data, tmp_path / "second")

    first = json.loads((tmp_path / "first" / "artefact.json").read_text())
    second = json.loads((tmp_path / "second" / "artefact.json").read_text())
    assert first["files"] == second["files"]
    assert first["version"] == second["version"]


def test_generated_sentences_are_reproducible_and_label_the_names():
    first = list(chat_sentences(lang="de", count=50, seed=3))
    assert first == list(chat_sentences(lang="de", count=50, seed=3))
    for text, spans in first:
        for start, end, label in spans:
            assert label in ("PERSON", "LOCATION", "ORGANIZATION")
            assert text[start:end].strip() == text[start:end] != ""


def test_training_names_missing_data_files(tmp_path):
    with pytest.raises(CommandError, match="missing"):
        call_command("redaction_train", "--lang", "en", "--data-dir", str(tmp_path))


def test_the_shipped_frequent_words_hold_shop_words_but_no_listed_name():
    from privacy.redaction.names import frequent_words, name_lexicon

    words = frequent_words()
    assert {"shipping", "costs", "gift", "cards", "fotos"} <= words
    lexicon = name_lexicon()
    assert not words & {"lehmann", "paula", "tom", "sabine"}
    assert not words & lexicon.first_names


def test_the_frequent_words_command_leaves_out_names_the_training_text_uses(tiny_data, tmp_path):
    pytest.importorskip("wordfreq")  # the training extra
    # given: "Hamburg" is a frequent word, "Anna" a listed first name
    output = tmp_path / "frequent_words.txt"
    monkey_files = {"de": training.TRAINING_FILES["de"], "en": ()}
    original = dict(training.TRAINING_FILES)
    training.TRAINING_FILES.update(monkey_files)
    try:
        call_command(
            "redaction_frequent_words", "--data-dir", str(tiny_data), "--output", str(output),
            stdout=StringIO(),
        )  # fmt: skip
    finally:
        training.TRAINING_FILES.update(original)
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#")
    words = {line for line in lines if not line.startswith("#")}
    assert {"hamburg", "shipping", "rechnung"} <= words
    # a first name never; a surname only when it is a frequent word ("Kosten")
    assert "anna" not in words and "lehmann" not in words
    assert "kosten" in words


def test_copies_with_names_replaced_move_every_span_with_its_name():
    import random

    from privacy.redaction.chat_sentences import entities_replaced

    text = "Trainer Angela Merkel traf Schröder in Berlin."
    spans = [(8, 21, "PERSON"), (27, 35, "PERSON"), (39, 45, "LOCATION")]
    rng = random.Random(5)
    for _ in range(30):
        copy, moved = entities_replaced(text, spans, lang="de", rng=rng)
        assert [label for *_, label in moved] == ["PERSON", "PERSON", "LOCATION"]
        assert copy[moved[2][0] : moved[2][1]] == "Berlin"
        assert copy.startswith("Trainer ") and copy.endswith(" in Berlin.")
        for start, end, _ in moved:
            assert copy[start:end].strip() == copy[start:end] != ""


def test_the_training_records_the_copies_with_names_replaced(tiny_data, monkeypatch):
    monkeypatch.setitem(
        training.TRAINING_FILES,
        "de",
        (
            training.DataFile(
                "ner_de_germeval2014_dev.jsonl", modulo=3, held_out=0, replace_names=True
            ),
        ),
    )
    config = training.TrainingConfig(generated_sentences=0, replaced_copies=2)
    rows, sources = training.training_rows(lang="de", data_dir=tiny_data, config=config, seed=1)
    with_persons = sum(
        any(label == "PERSON" for *_, label in spans)
        for _, spans in rows[: sources[0]["sentences"]]
    )
    assert sources[0]["copies_with_names_replaced"] == 2 * with_persons > 0


def test_training_with_subword_vectors_ships_them_in_the_artefact(tiny_data, tmp_path, monkeypatch):
    # The real vocabulary (frequent words, name lists) takes a minute to embed.
    monkeypatch.setattr(
        training, "vector_vocabulary", lambda rows: {"müller", "anna", "schmidt", "hamburg"}
    )
    out = StringIO()
    call_command(
        "redaction_train",
        "--lang", "de", "--data-dir", str(tiny_data), "--epochs", "1", "--generated", "10",
        "--vector-rows", "300", "--vector-dimensions", "8",
        "--output", str(tmp_path / "model"), stdout=out,
    )  # fmt: skip

    record = artefact_verify(tmp_path / "model")
    assert record["subword_vectors"]["rows"] == 300
    assert record["subword_vectors"]["words"] == 4
    assert "--vector-rows 300 --vector-dimensions 8" in record["command"]
    assert record["config"]["model"]["tok2vec"]["pretrained_vectors"] is True
    assert "vocab/vectors" in record["files"]
    import spacy

    nlp = spacy.load(tmp_path / "model")
    assert nlp.vocab.vectors.mode == "floret"
    assert nlp.vocab.vectors.shape == (300, 8)
    nlp("Müller hat angerufen .")


def test_an_epoch_checkpoint_is_the_model_of_a_run_with_that_many_epochs(tiny_data, tmp_path):
    out = StringIO()
    call_command(
        "redaction_train",
        "--lang", "de", "--data-dir", str(tiny_data), "--epochs", "2", "--generated", "10",
        "--epoch-checkpoints", "--output", str(tmp_path / "two"), stdout=out,
    )  # fmt: skip
    call_command(
        "redaction_train",
        "--lang", "de", "--data-dir", str(tiny_data), "--epochs", "1", "--generated", "10",
        "--output", str(tmp_path / "one"), stdout=StringIO(),
    )  # fmt: skip

    assert "epoch 2: loss" in out.getvalue()
    checkpoint = artefact_verify(tmp_path / "two.epoch-1")
    one = artefact_verify(tmp_path / "one")
    assert checkpoint["files"] == one["files"]
    assert checkpoint["command"] == one["command"]
    assert checkpoint["config"]["epochs"] == 1
    assert not (tmp_path / "two.epoch-2").exists()  # the last epoch is the output itself


def test_copies_can_also_replace_places_organisations_and_plain_nouns():
    import random

    from privacy.redaction.chat_sentences import ReplacementPools, entities_replaced

    text = "Trainer Merkel traf Schröder in Berlin , die Akustikgitarren kamen von Siemens ."
    spans = [(8, 14, "PERSON"), (20, 28, "PERSON"), (32, 38, "LOCATION"), (72, 79, "ORGANIZATION")]
    pools = ReplacementPools(
        places=("Wetzlar",), organisations=("Bosch AG",), nouns=("Holzzaun",), noun_share=1.0
    )
    copy, moved = entities_replaced(text, spans, lang="de", rng=random.Random(3), pools=pools)

    assert [copy[start:end] for start, end, label in moved if label != "PERSON"] == [
        "Wetzlar",
        "Bosch AG",
    ]
    # the plain noun is replaced but gets no span; the first word of the sentence stays
    assert "die Holzzaun kamen" in copy and copy.startswith("Trainer ")
    assert len(moved) == 4


def test_plain_nouns_are_the_capitalised_words_outside_spans_but_a_sentence_start():
    from privacy.redaction.chat_sentences import plain_nouns

    text = 'Heute kam das Paket . " Danke " , sagte Müller zur Lieferung .'
    nouns = [text[start:end] for start, end in plain_nouns(text, [(40, 46, "PERSON")])]

    assert nouns == ["Paket", "Lieferung"]


def test_replacing_other_words_is_recorded_in_the_command(tiny_data, tmp_path):
    call_command(
        "redaction_train",
        "--lang", "de", "--data-dir", str(tiny_data), "--epochs", "1", "--generated", "10",
        "--replaced-copies", "1", "--replace-other-words",
        "--output", str(tmp_path / "model"), stdout=StringIO(),
    )  # fmt: skip

    record = artefact_verify(tmp_path / "model")
    assert record["config"]["replace_other_words"] is True
    assert "--replaced-copies 1 --replace-other-words " in record["command"]


def test_averaged_parameters_write_other_weights_and_are_recorded(tiny_data, tmp_path):
    for name, flags in (("raw", []), ("averaged", ["--averaged-parameters"])):
        call_command(
            "redaction_train",
            "--lang", "de", "--data-dir", str(tiny_data), "--epochs", "2", "--generated", "10",
            *flags, "--output", str(tmp_path / name), stdout=StringIO(),
        )  # fmt: skip

    raw = artefact_verify(tmp_path / "raw")
    averaged = artefact_verify(tmp_path / "averaged")
    assert averaged["config"]["averaged_parameters"] is True
    assert "--averaged-parameters " in averaged["command"]
    assert "--averaged-parameters" not in raw["command"]
    # the same training, the same losses; only the written weights differ
    assert averaged["losses_per_epoch"] == raw["losses_per_epoch"]
    assert averaged["files"]["ner/model"] != raw["files"]["ner/model"]
    import spacy

    spacy.load(tmp_path / "averaged")("Müller hat angerufen .")


def test_an_averaged_epoch_checkpoint_is_the_averaged_model_of_that_many_epochs(
    tiny_data, tmp_path
):
    call_command(
        "redaction_train",
        "--lang", "de", "--data-dir", str(tiny_data), "--epochs", "2", "--generated", "10",
        "--averaged-parameters", "--epoch-checkpoints", "--output", str(tmp_path / "two"),
        stdout=StringIO(),
    )  # fmt: skip
    call_command(
        "redaction_train",
        "--lang", "de", "--data-dir", str(tiny_data), "--epochs", "1", "--generated", "10",
        "--averaged-parameters", "--output", str(tmp_path / "one"), stdout=StringIO(),
    )  # fmt: skip

    assert (
        artefact_verify(tmp_path / "two.epoch-1")["files"]
        == artefact_verify(tmp_path / "one")["files"]
    )
