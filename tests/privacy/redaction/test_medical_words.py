"""German medical words are no names to the recogniser: drug, diagnosis and clinical role
words of a doctor's letter stay readable, the names beside them are still hidden."""

from io import StringIO

import pytest
from django.core.management import call_command

from privacy.redaction import recogniser, text_redact
from privacy.redaction.medical_words import (
    MEDICAL_WORDS_PATH,
    medical_word,
    medical_words,
    medical_words_build,
)
from privacy.redaction.names import name_lexicon


@pytest.mark.parametrize(
    "text",
    [
        # the model alone takes each of these words for a surname
        "Therapie: Ceftriaxon 2 g i.v. 1-0-0 für 7 Tage, Metformin 1000 mg 1-0-1.",
        "Diagnosen: Pneumonie rechts basal, Diabetes mellitus Typ 2, arterielle Hypertonie.",
        "Wir haben Ramipril abgesetzt und Metoprolol angesetzt.",
    ],
)
def test_drug_and_diagnosis_words_of_a_letter_stay_readable(text):
    model = recogniser.recogniser("de")
    assert any(ent.label_ == recogniser.PERSON for ent in model(text).ents)
    assert text_redact(text, language="de", allowed_words=()) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Frau Dr. Kessler verordnete Metoprolol.", "Frau Dr. [NAME] verordnete Metoprolol."),
        ("Herr Brunhold Qwertzel erhielt Ceftriaxon.", "Herr [NAME] erhielt Ceftriaxon."),
        (
            "Mit freundlichen Grüßen\n\nDr. Uta Täsche\nAssistenzärztin",
            "Mit freundlichen Grüßen\n\nDr. [NAME]\nAssistenzärztin",
        ),
        (
            "Chefarzt Prof. Dr. med. Hans Pölitz, Arztbrief vom 03.05.2024",
            "Chefarzt Prof. Dr. med. [NAME], Arztbrief vom 03.05.2024",
        ),
    ],
)
def test_names_beside_medical_words_are_still_hidden(text, expected):
    assert text_redact(text, language="de", allowed_words=()) == expected


def test_a_medical_word_announced_as_a_name_or_known_is_hidden():
    # "Crohn" is a medical word: the model's guess alone is dropped, not the title's
    assert medical_word("crohn")
    assert recogniser.recogniser_spans("Ceftriaxon hat geholfen, sagt Frau Crohn.", lang="de") == []
    assert (
        text_redact("Ceftriaxon hat geholfen, sagt Frau Crohn.", language="de", allowed_words=())
        == "Ceftriaxon hat geholfen, sagt Frau [NAME]."
    )
    # nor the conversation's known names
    assert (
        text_redact(
            "Crohn fragt nach Metformin.",
            known_names=["Anna Crohn"],
            language="de",
            allowed_words=(),
        )
        == "[NAME] fragt nach Metformin."
    )


def test_clinical_compounds_are_medical_words_but_a_surname_alone_is_not():
    assert medical_word("oberärztin") and medical_word("entlassungsbericht")
    assert not medical_word("pfleger")  # a surname, the whole word
    assert not medical_word("kessler")


def test_the_shipped_list_holds_drugs_and_diagnoses_but_no_name():
    words = medical_words()
    assert {"metformin", "ceftriaxon", "hypertonie", "metoprolol", "pneumonie"} <= words
    lexicon = name_lexicon()
    assert not words & (lexicon.first_names | lexicon.all_last_names)
    assert "parkinson" not in words  # a surname in Faker's English lists
    header = [line for line in MEDICAL_WORDS_PATH.read_text().splitlines() if line[:1] == "#"]
    assert any("wgerman-medical" in line for line in header)
    assert any("GPL-3.0-or-later" in line for line in header)


def test_the_build_lower_cases_and_leaves_out_every_locales_names():
    source = ["Metformin", "Metformins", "Müller", "Parkinson", "Hypertonie", "ADHS", "x"]
    assert medical_words_build(source) == ["adhs", "hypertonie", "metformin", "metformins"]


def test_the_command_writes_the_list_with_its_source_and_licence(tmp_path):
    source = tmp_path / "german-medical"
    source.write_text("Ceftriaxon\nHypertonie\nSchmidt\n", encoding="utf-8")
    output = tmp_path / "medical_words_de.txt"
    call_command(
        "redaction_medical_words", "--source", str(source), "--source-version", "20220425-1",
        "--output", str(output), stdout=StringIO(),
    )  # fmt: skip
    lines = output.read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    assert "wgerman-medical 20220425-1" in header and "GPL-3.0-or-later" in header
    assert [line for line in lines if not line.startswith("#")] == ["ceftriaxon", "hypertonie"]
