import pytest
import spacy

from bot.nlu.normalization import TOKEN_NORM_COMPONENT, token_normalize


@pytest.mark.parametrize(
    "spellings",
    [
        ("Rückgabe", "Rueckgabe", "ruckgabe", "RÜCKGABE"),
        ("Größe", "Groesse", "grosse", "Grösse"),
        ("Öffnungszeiten", "Oeffnungszeiten", "offnungszeiten"),
        ("Ändern", "aendern", "andern"),
    ],
)
def test_german_spellings_with_and_without_umlauts_agree(spellings):
    assert len({token_normalize(spelling, language="de") for spelling in spellings}) == 1


def test_a_diphthong_is_not_taken_for_an_umlaut():
    assert token_normalize("neue", language="de") == "neue"
    assert token_normalize("Steuer", language="de") == "steuer"


def test_english_is_only_casefolded_and_stripped_of_accents():
    assert token_normalize("Queue", language="en") == "queue"
    assert token_normalize("Café", language="en") == "cafe"
    assert token_normalize("What’s", language="en") == "what's"


def test_digit_runs_become_one_placeholder():
    assert token_normalize("12345", language="de") == token_normalize("987", language="de") == "0"
    assert token_normalize("A-4711", language="en") == "a-0"


def test_the_pipeline_component_sets_token_norms():
    nlp = spacy.blank("de")
    nlp.add_pipe(TOKEN_NORM_COMPONENT)

    doc = nlp("Rücksendung für Bestellung 4711")

    assert [token.norm_ for token in doc] == ["rucksendung", "fur", "bestellung", "0"]
