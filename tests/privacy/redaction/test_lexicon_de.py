"""Places and German nouns are no persons (issue 15): the shipped lists, their build
command, and the recogniser's post-filter with them."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from privacy.redaction import lexicon_de, text_redact, training
from privacy.redaction.names import name_lexicon
from privacy.redaction.recogniser import recogniser


@pytest.mark.parametrize(
    "word",
    [
        "Kasachstan", "Niederösterreich", "Graubünden", "Herisau", "Aesch",  # places
        "Gitarren", "Toaster", "Hörgeräte",  # nouns of the dictionary
        "Akustikgitarren", "Energiespeicher", "Felsbänke", "Kieselsäure",  # their compounds
    ],
)  # fmt: skip
def test_places_nouns_and_their_compounds_are_no_person_words(word):
    assert lexicon_de.no_person_word(word)


@pytest.mark.parametrize(
    "word",
    # Listed names; famous names the dictionary holds with a genitive only; a surname
    # ending in a name ("Becken|bauer"); surnames in no list.
    ["Müller", "Anna", "Stalin", "Beckenbauer", "Schäuble", "Wüstenhagen", "Kowalczyk"],
)
def test_names_are_no_place_or_noun(word):
    assert not lexicon_de.no_person_word(word)


def test_the_shipped_lists_hold_no_listed_name():
    lexicon = name_lexicon()
    listed = lexicon.first_names | lexicon.all_last_names
    assert {"österreich", "kärnten", "usbekistan"} <= lexicon_de.place_names()
    assert not lexicon_de.place_names() & listed
    nouns = lexicon_de.german_nouns()
    assert {"Gitarre", "Speicher", "Säuren"} <= nouns
    assert not {noun.lower() for noun in nouns} & listed
    assert not nouns & {"Stalin", "Beckenbauer", "Merkel", "Goethe"}


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Altenpfleger und Lehrer bekommen Rabatt.", "Altenpfleger"),
        ("Herzschrittmacher und Hörgeräte verkaufen wir nicht.", "Herzschrittmacher"),
        ("Energiespeicher und Wechselrichter sind ausverkauft.", "Energiespeicher"),
        ("Felsbänke eignen sich zum Klettern.", "Felsbänke"),
        ("Wasserkocher, Toaster und Kaffeemühlen sind reduziert.", "Toaster"),
        ("Kasachstan hat geliefert.", "Kasachstan"),
        ("Herisau und Stäfa liegen in der Schweiz.", "Herisau"),
    ],
)
def test_a_place_or_a_noun_the_recogniser_took_for_a_name_is_kept(text, kept):
    guesses = [ent.text for ent in recogniser("de")(text).ents if ent.label_ == "PERSON"]
    assert kept in guesses  # the model's guess, dropped by the post-filter
    assert text_redact(text, allowed_words=()) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mein Herzschrittmacher piept, seit Kowalczyk ihn eingestellt hat.",
            "Mein Herzschrittmacher piept, seit [NAME] ihn eingestellt hat.",
        ),
        (
            "Der Energiespeicher kam beschädigt an, Jochum hat ihn zurückgeschickt.",
            "Der Energiespeicher kam beschädigt an, [NAME] hat ihn zurückgeschickt.",
        ),
        (
            "Die Sendung nach Graubünden hat Ljubicic angenommen.",
            "Die Sendung nach Graubünden hat [NAME] angenommen.",
        ),
        (
            "Die Theaterstücke hat Herr Piandee bestellt.",
            "Die Theaterstücke hat Herr [NAME] bestellt.",
        ),
    ],
)
def test_a_name_beside_a_place_or_a_noun_is_still_hidden(text, expected):
    assert text_redact(text, allowed_words=()) == expected


WORDLIST = """Gitarre
Gitarren
Gitarrenlehrer
Gitarrenlehrern
Stalin
Stalins
Hamburg
Müller
Müllern
Schmidt
Speicherchip
Speicherbedarf
Speicherkarte
Speicherplatz
Speicherzelle
Speichermedium
Chip
Bedarf
Karte
Platz
Zelle
Medium
schnell
"""


@pytest.fixture
def tiny_data(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    line = {"text": "Sagt Gitarrenlehrer Schmidt .", "spans": [[5, 26, "PERSON"]]}
    (data / "ner_de_germeval2014_dev.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    monkeypatch.setitem(
        training.TRAINING_FILES, "de", (training.DataFile("ner_de_germeval2014_dev.jsonl"),)
    )
    monkeypatch.setitem(training.TRAINING_FILES, "en", ())
    return data


def test_the_build_command_writes_nouns_by_their_forms_and_no_names(tiny_data, tmp_path):
    wordlist = tmp_path / "ngerman"
    wordlist.write_text(WORDLIST, encoding="utf-8")
    output = tmp_path / "out"
    output.mkdir()

    call_command(
        "redaction_lexicon_de", "--wordlist", str(wordlist), "--data-dir", str(tiny_data),
        "--output-dir", str(output), stdout=StringIO(),
    )  # fmt: skip

    lines = (output / "german_nouns.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# German nouns, as written: Debian wngerman")
    nouns = {line for line in lines if not line.startswith("#")}
    # a plural makes a noun, so does being the first part of six compounds ("Speicher")
    assert {"Gitarre", "Gitarren", "Speicher"} <= nouns
    # a genitive alone does not; a listed surname or a training person never
    assert not nouns & {"Stalin", "Stalins", "Müller", "Müllern", "Schmidt", "Gitarrenlehrer"}
    assert "schnell" not in nouns  # lower case: no noun
    places = (output / "place_names.txt").read_text(encoding="utf-8").splitlines()
    assert places[0].startswith("# Words of place names, lower-cased: Faker")
    assert {"hamburg", "kärnten", "österreich"} <= set(places)


def test_the_build_command_needs_its_word_list(tiny_data, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "redaction_lexicon_de", "--wordlist", str(tmp_path / "missing"),
            "--data-dir", str(tiny_data), "--output-dir", str(tmp_path),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # frequent words in wordfreq, as names: no German noun, no place
        ("Genosse Stalin hat das Paket.", "Genosse [NAME] hat das Paket."),
        ("Das sagte Schröder am Telefon.", "Das sagte [NAME] am Telefon."),
    ],
)
def test_a_frequent_word_that_is_no_noun_after_a_verb_of_saying_or_a_role_is_a_name(text, expected):
    assert text_redact(text, allowed_words=()) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Laut Telekom ist das Paket unterwegs.",  # "laut" names a source, a company too
        "Laut Spiegel ist das so.",
        "Das sagte Rabatt nicht.",  # a noun stays a noun
        "Wir liefern nicht nach Tirol, sagte Berlin.",  # a place
    ],
)
def test_a_source_a_noun_or_a_place_after_a_verb_of_saying_stays(text):
    assert text_redact(text, allowed_words=()) == text
