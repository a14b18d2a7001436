"""German capitalised words that no list knows are taken for names (issue 15): unlisted
surnames and foreign names are hidden; German nouns, product names of the shop's
knowledge base and the places German capitalises any word stay."""

import pytest

from bot.models import ExampleQuestion, Intent, IntentAnswer
from privacy.redaction import allow_list, redaction_spans, text_redact, unknown_words


@pytest.fixture(autouse=True)
def fresh_word_lists():
    allow_list.allowed_words_reset()
    allow_list.shop_words_reset()
    yield
    allow_list.allowed_words_reset()
    allow_list.shop_words_reset()


def hidden(text: str, **options) -> list[str]:
    return [text[start:end] for start, end, _ in unknown_words.unknown_word_spans(text, **options)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Bis 80 Prozent seiner Aufträge bekommt Jochum aus der Wirtschaft.", "Jochum"),
        ("Die Rechnung ging an Dreßler, nicht an mich.", "Dreßler"),
        ("In seinem achten Länderspiel schoss Kaká ein Tor.", "Kaká"),
        ("Gestern hat Halmich wegen der Rücksendung angerufen.", "Halmich"),
        # a phone number after it is no model number
        ("Bitte rufen Sie Jochum unter 0171 2345678 zurück.", "Jochum"),
        ("Bitte rufen Sie Jochum 0171 2345678 zurück.", "Jochum"),
    ],
)
def test_an_unlisted_name_without_a_cue_is_hidden(text, name):
    # given: the patterns and name lists alone leave it
    assert name in text_redact(text, use_recogniser=False, allowed_words=())
    # then: a capitalised word no list knows, mid-sentence, is taken for a name
    assert hidden(text) == [name]
    assert name not in text_redact(text, allowed_words=(), language="de")


@pytest.mark.parametrize(
    "text",
    [
        # German nouns, inflected, in umlaut plurals, written together
        "Wird es heute in Hamburg Stürme geben?",
        "Kann ich die Bestellung auch mit Ratenkauf bezahlen?",
        "Das Retourenlabel und die Sendungsverfolgung finde ich nicht.",
        "Die Pfeiler stehen auf Holzpfählen aus Eiche.",
        # diminutives, Latin nouns; a product with its model or version number
        "Im Paket lagen zwei Bildchen und ein Zettel.",
        "Der Turm diente als Observatorium für Sterne.",
        "Die Präsentation ist mit Keynote 9 erstellt, nicht mit Powerpoint.",
        # a place after its preposition
        "Kommt das Paket auch nach Helgoland?",
        "Ich wohne in Riedlingen und warte seit Montag.",
        # after a determiner or an adjective: a noun the lists lack
        "Männchen zeichnen sich durch eine große Kehlwamme aus.",
        "Ich brauche den Dichtungsring für die Varoma aus Edelstahl.",
        # where German capitalises any word: a sentence's start, after a colon or a quote
        "Zalando hat mir das Geld erstattet.",
        "Mein Problem: Giropay geht nicht.",
        'Im Betreff stand "Wiederholung" und sonst nichts.',
        # acronyms, words with digits and inner capitals, English runs
        "Die AirPods kamen mit DHL, das Modell A2084 fehlt.",
        "Im Fenster steht Powered by Stripe, dann kommt ein Fehler.",
    ],
)
def test_nouns_and_words_german_capitalises_anyway_stay(text):
    assert hidden(text) == []


@pytest.mark.parametrize(
    "text",
    [
        # a Latin or Greek plural in -en ("Praxen" of "Praxis")
        "Die Sessel sind für Büros und Arztpraxen gedacht.",
        # alcohols, chemical elements, a noun made with a suffix
        "Das Gemisch enthält 10 % Methanol und Wasser.",
        "Im Wasser ist zu viel Chlor und etwas Fluor.",
        "Die Firma nannte gestern Hydrologie als Grund.",
        # a compound after a German noun, with or without a joint or a hyphen
        "Die Konkurrenz mit Softwareprimus Microsoft wächst.",
        "Die Firma nannte gestern Nebenjob als Grund.",
        "Die Firma nannte gestern Eingangsfoyers als Grund.",
        "Die Wälder mit Esche-Ahorn sind selten.",
        # an adjective in -iv written as a noun, an abbreviation without a vowel
        "Die Firma nannte gestern Vegetative als Grund.",
        "Der Umsatz lag bei 1 Mlrd im Jahr.",
    ],
)
def test_rare_nouns_the_lists_lack_stay(text):
    assert hidden(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # two letters before "-en" are no Latin stem; "-atol" no alcohol
        ("Gestern hat Papen wegen der Rücksendung angerufen.", "Papen"),
        ("Gestern hat Anatol wegen der Rücksendung angerufen.", "Anatol"),
        # a name is no noun of the list: the compound rules leave a surname made of one
        ("Gestern hat Blumenthal wegen der Rücksendung angerufen.", "Blumenthal"),
        ("Gestern hat Müller-Sönksen wegen der Rücksendung angerufen.", "Müller-Sönksen"),
        # a vowel of another script is a vowel
        ("Gestern hat Szűcs wegen der Rücksendung angerufen.", "Szűcs"),
    ],
)
def test_names_that_look_like_those_nouns_are_still_hidden(text, name):
    assert hidden(text) == [name]
    assert name not in text_redact(text, allowed_words=(), language="de")


@pytest.mark.parametrize("name", ["Flahive", "Hartung"])
def test_a_listed_surname_with_a_noun_ending_is_hidden_by_the_lists(name):
    # "-ive", "-ung" make it a known word for this rule; the name lists still hold it
    text = f"Gestern hat {name} wegen der Rücksendung angerufen."
    assert hidden(text) == []
    assert name not in text_redact(text, use_recogniser=False, allowed_words=())


def test_english_text_and_labels_are_left_to_the_recogniser():
    # An English sentence (more English function words) and a title get no guess by rule.
    assert not unknown_words.german_sentence("We connected the Sonos box to the hub.")
    assert unknown_words.german_sentence("Ich möchte das Gerät mit Sonos verbinden.")
    title = "Verbindung mit Sonos"
    assert text_redact(title, allowed_words=(), label_text=True) == title
    assert text_redact(title, allowed_words=(), language="en") == title


def test_the_allow_list_keeps_a_word():
    text = "Ich möchte das Gerät mit Homematic verbinden."
    assert hidden(text) == ["Homematic"]
    assert text_redact(text, allowed_words=["homematic"]) == text


@pytest.mark.django_db
@pytest.mark.parametrize("product", ["Sonos", "Homematic"])
def test_the_shop_words_of_the_knowledge_base_stay_and_a_change_is_read_at_once(product):
    # given: a brand the shop's knowledge base does not mention yet is hidden (by the
    # unknown-word rule; "Homematic" also by the recogniser's guess)
    text = f"Ich möchte das Gerät mit {product} verbinden."
    assert text_redact(text, allowed_words=()) == "Ich möchte das Gerät mit [NAME] verbinden."
    # when: the shop writes an answer that names it (saving it drops the snapshot)
    intent = Intent.objects.create(slug="smart-home")
    IntentAnswer.objects.create(
        intent=intent, language="de", title="Smart Home", text=f"Es läuft mit {product}."
    )
    # then
    assert product.lower() in allow_list.shop_words()
    assert text_redact(text, allowed_words=()) == text


@pytest.mark.django_db
def test_words_taught_from_customers_and_inactive_intents_are_no_shop_words():
    intent = Intent.objects.create(slug="lieferung")
    ExampleQuestion.objects.create(
        intent=intent, language="de", text="Wo ist mein Paket, Ljubicic?", source="agent"
    )
    ExampleQuestion.objects.create(intent=intent, language="de", text="Wann kommt Hermes?")
    retired = Intent.objects.create(slug="alt", is_active=False)
    IntentAnswer.objects.create(intent=retired, language="de", title="Alt", text="Piechotta")
    words = allow_list.shop_words()
    assert "hermes" in words
    assert "ljubicic" not in words and "piechotta" not in words


@pytest.mark.django_db
def test_a_name_of_another_rule_is_still_hidden_when_the_shop_knows_the_word():
    # given: the shop's answers name a word
    intent = Intent.objects.create(slug="smart-home")
    IntentAnswer.objects.create(
        intent=intent, language="de", title="Smart Home", text="Es läuft mit Homematic."
    )
    # then: the shop's words only keep it from this rule; "Frau …" still hides it
    text = "Gestern hat Frau Homematic angerufen."
    spans = redaction_spans(text, allowed_words=())
    assert [text[start:end] for start, end, _ in spans] == ["Homematic"]
