import pytest

from bot.nlu.language import language_detect


@pytest.mark.parametrize(
    "text",
    [
        "Wo ist meine Bestellung?",
        "Ich habe gestern bestellt und das Paket ist immer noch nicht da.",
        "Können Sie mir sagen, wann die Lieferung kommt?",
        "Wie kann ich meine Rechnungsadresse ändern?",
        "Größe passt nicht, kann ich umtauschen?",
        "hallo, ich hab mein passwort vergessen",
        "Gibt es Ratenzahlung?",
    ],
)
def test_german_questions_are_german(text):
    assert language_detect(text, fallback="en") == "de"


@pytest.mark.parametrize(
    "text",
    [
        "Konnen Sie mir bitte helfen, ich mochte etwas zuruckschicken",
        "Koennen Sie mir sagen wann meine Bestellung kommt",
        "fuer welche laender gibt es versand",
        "wie lange dauert die ruecksendung",
    ],
)
def test_german_typed_without_umlauts_is_german(text):
    assert language_detect(text, fallback="en") == "de"


@pytest.mark.parametrize(
    "text",
    [
        "Where is my order?",
        "I ordered last week and the parcel still hasn't arrived.",
        "Can you tell me when my delivery will come?",
        "How do I change my billing address?",
        "what's the return period for shoes",
        "i forgot my password",
        "refund status",
    ],
)
def test_english_questions_are_english(text):
    assert language_detect(text, fallback="de") == "en"


@pytest.mark.parametrize("text", ["", "  ", "ok", "?", "12345", "DE-4711", "hi", ":)"])
def test_too_short_to_tell_returns_the_fallback(text):
    assert language_detect(text, fallback="de") == "de"
    assert language_detect(text, fallback="en") == "en"


def test_a_single_strong_word_is_enough():
    assert language_detect("Danke!", fallback="en") == "de"
    assert language_detect("Thanks!", fallback="de") == "en"


def test_mixed_evenly_returns_the_fallback():
    text = "Hallo, where ist my Bestellung?"

    assert language_detect(text, fallback="de") == "de"
    assert language_detect(text, fallback="en") == "en"
