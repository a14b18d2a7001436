"""The trained name recogniser: support-chat names in German and English, its artefact's
integrity, and that nothing is fetched to load it."""

import json
import logging
import shutil
import socket

import pytest

from privacy.redaction import recogniser, text_redact
from privacy.redaction.recogniser import (
    ARTEFACT_FILE,
    artefact_read,
    model_directory,
    recogniser_reset,
    recogniser_spans,
    recogniser_status,
)


@pytest.fixture
def fresh_recogniser():
    recogniser_reset()
    yield
    recogniser_reset()


@pytest.fixture
def tampered_models(tmp_path, monkeypatch, fresh_recogniser):
    """A copy of the shipped artefacts with one byte of the German model changed."""
    for lang in recogniser.LANGUAGES:
        shutil.copytree(model_directory(lang), tmp_path / lang)
    model_file = tmp_path / "de" / "ner" / "model"
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    monkeypatch.setattr(recogniser, "MODELS_DIR", tmp_path)
    return tmp_path


GERMAN_CHAT = [
    # a surname on its own, a third party
    ("Müller hat gestern angerufen wegen der Rechnung.", "[NAME] hat gestern angerufen"),
    ("Mein Mann Jonas hat das Paket angenommen.", "Mein Mann [NAME] hat"),
    # a lower-case name
    ("ich heiße sabine und warte auf mein paket", "ich heiße [NAME] und"),
    ("Frau Kowalczyk sagte, die Lieferung kommt heute.", "Frau [NAME] sagte"),
    # a signature
    ("Danke für die Hilfe!\nViele Grüße\nJonas Becker", "Viele Grüße\n[NAME]"),
    ("Frau Schneider hat das Paket angenommen.", "Frau [NAME] hat das Paket"),
    ("müller hat angerufen, bitte zurückrufen", "[NAME] hat angerufen"),
    ("Laut Kowalczyk ist das Paket schon unterwegs.", "Laut [NAME] ist"),
    ("lg sabine", "lg [NAME]"),
]
ENGLISH_CHAT = [
    ("Henderson phoned about the invoice.", "[NAME] phoned about"),
    ("My husband Dave signed for the parcel.", "My husband [NAME] signed"),
    ("hi, i'm olivia and my parcel is late", "i'm [NAME] and"),
    ("Mrs Okafor told me the refund was on its way.", "Mrs [NAME] told"),
    ("Thanks for your help.\nKind regards\nTom Fletcher", "Kind regards\n[NAME]"),
    ("john smith called about his refund", "[NAME] called about his refund"),
    ("A woman called Featherstonehaugh rang me.", "called [NAME] rang"),
    ("my son is called jonas", "called [NAME]"),
]


@pytest.mark.parametrize(("text", "expected"), GERMAN_CHAT + ENGLISH_CHAT)
def test_support_chat_names_are_redacted(text, expected):
    assert expected in text_redact(text, allowed_words=())


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Piechotta hat aus Hamburg angerufen.", "de"),
        ("Das Paket hat Ljubicic angenommen.", "de"),
        ("Pemberton phoned about the invoice.", "en"),
    ],
)
def test_the_recogniser_finds_a_surname_the_patterns_miss(text, lang):
    # given: patterns and name lists alone leave a lone surname (the baseline)
    assert text_redact(text, use_recogniser=False, allowed_words=()) == text
    # then: the recogniser finds it
    assert [label for *_, label in recogniser_spans(text, lang=lang)] == ["PERSON"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a role or occupation before a name the lists do not hold
        ("Producer Liviana Palerma explained it to me.", "Producer [NAME] explained"),
        ("Mein Vermieter Wüstenhagen nimmt keine Pakete an.", "Vermieter [NAME] nimmt"),
        # a role as the head of a German compound
        ("Das sagte Europaminister Wüstenhagen gestern.", "sagte Europaminister [NAME] gestern"),
        ("Ihr Teamkollege Piechotta hat die Ware.", "Teamkollege [NAME] hat"),
        # a possessive after an unlisted name
        ("I loved Yuri Bulgakov's new book.", "loved [NAME]"),
        # a Polish surname in its feminine form (Faker lists the masculine only)
        ("Wann meldet sich Kowalska?", "meldet sich [NAME]?"),
    ],
)
def test_roles_possessives_and_feminine_surnames_mark_names_for_the_lists(text, expected):
    assert expected in text_redact(text, use_recogniser=False, allowed_words=())


@pytest.mark.parametrize(
    "text",
    [
        "Ich habe den Nachbarn Bescheid gesagt.",
        "Our manager Support team",
        "Amazon's delivery",
        # an English word ending in a German role is no compound ("administer")
        "Nurses administer Tramadolin daily.",
    ],
)
def test_a_frequent_word_after_a_role_or_before_a_possessive_stays(text):
    assert text_redact(text, use_recogniser=False, allowed_words=()) == text


@pytest.mark.parametrize(
    "text", ["Lehmann hat gestern angerufen.", "Bitte Frau Lehmann zurückrufen, danke Lehmann"]
)
def test_a_listed_surname_that_is_no_frequent_word_is_hidden_by_the_lists_alone(text):
    assert "Lehmann" not in text_redact(text, use_recogniser=False, allowed_words=())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Das ist erledigt, sagte Wüstenhagen.", "sagte [NAME]."),
        ("Wüstenhagen hat angerufen.", "[NAME] hat angerufen."),
        ("Laut Wüstenhagen ist das Paket unterwegs.", "Laut [NAME] ist"),
        # a noun after the verb is a frequent word or has its article
        ("Laut Rechnung ist alles bezahlt.", "Laut Rechnung ist"),
        ("Das sagte der Chef.", "Das sagte der Chef."),
    ],
)
def test_a_german_verb_of_saying_marks_a_name_for_the_lists(text, expected):
    assert expected in text_redact(text, use_recogniser=False, allowed_words=())


@pytest.mark.parametrize(
    "text",
    [
        "Smart Home",
        "Cook Time",
        "Der Koch hat angerufen",
        # surnames in the lists that are frequent words
        "Die Kosten für den Versand sind zu hoch",
        "Kosten und Gebühren",
        "Wird es einen Sturm geben?",
    ],
)
def test_a_surname_that_is_a_word_or_stands_in_a_title_is_kept_by_the_lists(text):
    assert text_redact(text, use_recogniser=False, allowed_words=()) == text


@pytest.mark.parametrize(
    "text",
    [
        "Wann kommt mein Paket? Die Rechnung stimmt nicht.",
        "When will my parcel arrive?",
        # title-cased shop words, in either language's model (titles and slugs pass the gate)
        "Shipping Costs",
        "Gift Cards",
        "Payment Methods",
        "Size Guide",
        # "called" names a name only when one follows
        "I called support yesterday",
        "The product is called lovely and it is red.",
        # identifiers in audit details
        "checksum_mismatch",
        "gift-cards",
        # intent titles and slugs
        "Accept Reservations",
        "Lost Luggage",
        "order-status",
        "edit-personal-details",
    ],
)
def test_messages_without_names_keep_their_words(text):
    assert text_redact(text, allowed_words=()) == text


def test_each_artefact_records_its_data_seed_configuration_and_checksums():
    for lang in recogniser.LANGUAGES:
        record = artefact_read(model_directory(lang))
        assert record["language"] == lang
        assert isinstance(record["seed"], int)
        # Pretrained vectors, if any, are the artefact's own (checksummed), never fetched.
        if record["config"]["model"]["tok2vec"]["pretrained_vectors"]:
            assert "vocab/vectors" in record["files"]
            assert record["subword_vectors"]["rows"] > 0
        assert any("file" in source for source in record["training_data"])
        assert any("generated" in source for source in record["training_data"])
        assert record["files"]
        assert recogniser_status(lang)[0] is True
        size = sum(p.stat().st_size for p in model_directory(lang).rglob("*") if p.is_file())
        assert size <= 25 * 1024 * 1024


def test_a_changed_model_file_is_refused_with_an_error_in_the_log(tampered_models, caplog):
    with caplog.at_level(logging.ERROR, logger="privacy.redaction.recogniser"):
        assert recogniser.recogniser("de") is None

    assert any(
        record.levelno == logging.ERROR and "refused" in record.getMessage()
        for record in caplog.records
    )
    assert "ner/model" in caplog.text
    intact, _, problem = recogniser_status("de")
    assert not intact and "ner/model" in problem
    # Redaction goes on without it: patterns and name lists still hide what they know.
    assert text_redact("Mein Name ist Jürgen Schmidt.", allowed_words=()) == "Mein Name ist [NAME]."
    # The other language's artefact is untouched and still loads.
    assert recogniser.recogniser("en") is not None


def test_a_file_missing_from_the_record_is_refused(tampered_models, caplog):
    record_path = tampered_models / "en" / ARTEFACT_FILE
    record = json.loads(record_path.read_text())
    record["files"]["extra.bin"] = "0" * 64
    record_path.write_text(json.dumps(record))

    with caplog.at_level(logging.ERROR, logger="privacy.redaction.recogniser"):
        assert recogniser.recogniser("en") is None
    assert "extra.bin" in caplog.text


def test_the_health_check_reports_a_refused_artefact(tampered_models):
    results = {result.name: result for result in recogniser.redaction_model_health()}

    assert results["privacy.redaction_model.de"].ok is False
    assert results["privacy.redaction_model.en"].ok is True


def test_no_model_is_fetched_over_the_network(monkeypatch, fresh_recogniser):
    def no_network(*args, **kwargs):
        raise AssertionError("the recogniser tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)

    recogniser.recogniser_warm_up()

    assert recogniser.recogniser("de") is not None
    assert recogniser.recogniser("en") is not None
    assert "[NAME]" in text_redact("Müller hat angerufen.", language="de", allowed_words=())


def test_the_pipeline_is_loaded_once_per_process(fresh_recogniser, monkeypatch):
    import spacy

    loads = []
    real_load = spacy.load
    monkeypatch.setattr(spacy, "load", lambda *a, **k: loads.append(a) or real_load(*a, **k))

    for _ in range(3):
        recogniser_spans("Müller hat angerufen.", lang="de")

    assert len(loads) == 1


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hallo, ich habe eine Frage zu meiner Bestellung.", "de"),
        ("Hello, I have a question about my order.", "en"),
    ],
)
def test_the_language_of_a_message_picks_the_recogniser(text, lang):
    assert recogniser.text_language(text) == lang


# Titles, slugs and codes go through the recogniser as labels (`label_text`): intent
# names of the public intent sets and the demo knowledge base that the model alone took
# for names before the label mode.
@pytest.mark.parametrize(
    "label",
    [
        "Weather",
        "Cook Time",
        "Todo List",
        "Todo List Update",
        "Pto Used",
        "Timezone",
        "RateBook",
        "Searchcreativework",
        "Reverted Card Payment?",
        "Cash Or Cheque",
        "privacy erasure",
        "cook time",
        "Shipping Costs",
        "Lost Luggage",
    ],
)
def test_a_title_made_of_words_keeps_them(label):
    assert text_redact(label, allowed_words=(), label_text=True) == label


def test_a_lower_case_label_is_left_to_the_lists():
    # a slug read as words: no capitals, no evidence for the model; a listed name still goes
    assert recogniser_spans("mpg", label_text=True) == []
    assert text_redact("rueckruf jonas becker", allowed_words=(), label_text=True) == (
        "rueckruf [NAME]"
    )


@pytest.mark.parametrize(
    ("word", "compound"),
    [("Timezone", True), ("searchcreativework", True), ("Ratebook", True), ("Wüstenhagen", False)],
)
def test_frequent_words_written_together_are_told_from_a_name(word, compound):
    assert recogniser._frequent_compound(word) is compound


def test_a_title_with_a_surname_in_no_list_gets_it_hidden_by_the_recogniser():
    title = "Beschwerde über Hartvigsson"
    assert text_redact(title, use_recogniser=False, allowed_words=()) == title
    assert text_redact(title, allowed_words=(), label_text=True) == "Beschwerde über [NAME]"


@pytest.mark.parametrize(
    "text",
    [
        # first names of the lists (Turkish, Croatian, Nordic …) that German grammar makes nouns
        "Ein Server ist ausgefallen.",
        "Der Ball ging ins Tor.",
        "Sie wohnen unter den Bergen und Felsen.",
        "Die Tore sind geschlossen.",
    ],
)
def test_a_listed_first_name_after_a_german_article_is_a_noun(text):
    assert text_redact(text, use_recogniser=False, allowed_words=()) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a German first name after a definite article is colloquial German for a person
        ("Die Anna hat angerufen.", "Die [NAME] hat angerufen."),
        ("Ich habe mit der Erika gesprochen.", "mit der [NAME] gesprochen."),
        # a name that goes on after the article's word is a name
        ("Das Paket ging an einen Thomas Müller.", "an einen [NAME]."),
    ],
)
def test_a_person_after_a_german_article_is_still_a_name(text, expected):
    assert expected in text_redact(text, use_recogniser=False, allowed_words=())


@pytest.mark.parametrize("label", ["Shop By Brand", "Pay With Klarna", "Ship With Hermes"])
def test_by_and_with_in_a_title_case_label_announce_no_name(label):
    assert text_redact(label, allowed_words=(), label_text=True) == label


def test_a_german_verb_of_saying_with_an_adverb_marks_a_name_for_the_lists():
    assert text_redact(
        "Wüstenhagen hat gestern angerufen.", use_recogniser=False, allowed_words=()
    ) == ("[NAME] hat gestern angerufen.")


def test_by_and_with_in_lower_case_still_announce_a_name():
    assert text_redact("The song was written by Hartvigsson", use_recogniser=False) == (
        "The song was written by [NAME]"
    )
