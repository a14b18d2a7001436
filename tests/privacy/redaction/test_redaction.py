"""Redaction of personal data: German and English cases of every label, and what must stay."""

import statistics
import time

import pytest

from privacy.redaction import RedactionSpan, redaction_spans, text_redact

GERMAN = [
    # names
    (
        "Hallo, ich heiße Erika Mustermann und habe eine Frage.",
        "Hallo, ich heiße [NAME] und habe eine Frage.",
    ),
    ("Mein Name ist Jürgen Schmidt.", "Mein Name ist [NAME]."),
    (
        "Ich bin Anna und mein Paket ist nicht angekommen.",
        "Ich bin [NAME] und mein Paket ist nicht angekommen.",
    ),
    ("Viele Grüße\nErika", "Viele Grüße\n[NAME]"),
    ("Mit freundlichen Grüßen, Hans Meier", "Mit freundlichen Grüßen, [NAME]"),
    (
        "Sehr geehrte Frau Koch, danke für die Antwort.",
        "Sehr geehrte Frau [NAME], danke für die Antwort.",
    ),
    ("Guten Tag Herr Müller, ich habe eine Frage.", "Guten Tag Herr [NAME], ich habe eine Frage."),
    ("Das Paket ist für Sabine Wagner bestimmt.", "Das Paket ist für [NAME] bestimmt."),
    # email, phone
    ("Meine E-Mail ist erika.mustermann@example.de", "Meine E-Mail ist [EMAIL]"),
    ("Bitte rufen Sie mich unter 0171 2345678 an.", "Bitte rufen Sie mich unter [PHONE] an."),
    ("Festnetz: 030/1234567", "Festnetz: [PHONE]"),
    ("Tagsüber (030) 123 45 67 erreichbar.", "Tagsüber [PHONE] erreichbar."),
    ("Oder +49 (0)30 1234567 anrufen.", "Oder [PHONE] anrufen."),
    ("Erreichbar unter 0049 171 2345678.", "Erreichbar unter [PHONE]."),
    # IBAN, card
    ("Meine IBAN lautet DE89 3704 0044 0532 0130 00.", "Meine IBAN lautet [IBAN]."),
    ("IBAN: DE89370400440532013000", "IBAN: [IBAN]"),
    ("Die AT61 1904 3002 3457 3201 bitte belasten.", "Die [IBAN] bitte belasten."),
    ("Kreditkarte 4111 1111 1111 1111 bitte sperren.", "Kreditkarte [CREDIT_CARD] bitte sperren."),
    ("Karte 5555-5555-5555-4444 wurde belastet.", "Karte [CREDIT_CARD] wurde belastet."),
    # addresses
    ("Ich wohne in der Musterstraße 12a, 10115 Berlin.", "Ich wohne in der [ADDRESS]."),
    ("Lieferadresse: Hauptstr. 5, 80331 München", "Lieferadresse: [ADDRESS]"),
    ("Bitte an Am Markt 3 in Hamburg liefern.", "Bitte an [ADDRESS] in Hamburg liefern."),
    ("Schicken Sie es an Karl-Marx-Allee 90, 10243 Berlin.", "Schicken Sie es an [ADDRESS]."),
    ("Neue Anschrift: Lindenweg 7\n20095 Hamburg", "Neue Anschrift: [ADDRESS]"),
    # date of birth
    ("Ich bin am 03.04.1985 geboren.", "Ich bin am [DATE_OF_BIRTH] geboren."),
    ("Geburtsdatum: 3. April 1985", "Geburtsdatum: [DATE_OF_BIRTH]"),
    ("geboren am 03.04.1985 in Köln", "geboren am [DATE_OF_BIRTH] in Köln"),
    # customer and order numbers
    ("Meine Bestellnummer ist 12345678.", "Meine Bestellnummer ist [ID]."),
    ("Meine Kundennummer lautet K-1234567.", "Meine Kundennummer lautet [ID]."),
    ("Rechnungsnr. RE-2024-00815 fehlt.", "Rechnungsnr. [ID] fehlt."),
]

ENGLISH = [
    ("Hi, my name is John Smith and I need help.", "Hi, my name is [NAME] and I need help."),
    ("I'm Sarah and my parcel is late.", "I'm [NAME] and my parcel is late."),
    ("This is Michael, I ordered a Galaxy S24.", "This is [NAME], I ordered a Galaxy S24."),
    ("Best regards,\nJohn Smith", "Best regards,\n[NAME]"),
    ("Dear Mrs. Johnson, thanks for your help.", "Dear Mrs. [NAME], thanks for your help."),
    ("Please ask Dr. Emily Clarke.", "Please ask Dr. [NAME]."),
    ("Send the invoice to jane.doe@example.com please.", "Send the invoice to [EMAIL] please."),
    ("My phone is +44 20 7946 0958.", "My phone is [PHONE]."),
    ("Call me at 555-123-4567 or +1 (555) 123-4567.", "Call me at [PHONE] or [PHONE]."),
    ("My IBAN is GB82 WEST 1234 5698 7654 32.", "My IBAN is [IBAN]."),
    ("Charge card 4012 8888 8888 1881 please.", "Charge card [CREDIT_CARD] please."),
    ("I live at 221B Baker Street, London NW1 6XE.", "I live at [ADDRESS]."),
    ("Ship it to 1600 Pennsylvania Ave NW, Washington, DC 20500", "Ship it to [ADDRESS]"),
    ("Springfield, IL 62704 is where I live.", "[ADDRESS] is where I live."),
    ("My date of birth is 04/03/1985.", "My date of birth is [DATE_OF_BIRTH]."),
    ("I was born on March 3, 1985.", "I was born on [DATE_OF_BIRTH]."),
    ("DOB: 1985-04-03", "DOB: [DATE_OF_BIRTH]"),
    ("Where is my order #A-123456?", "Where is my order #[ID]?"),
    ("My customer number is 1234567.", "My customer number is [ID]."),
    ("Here's my SSN: 078-05-1120", "Here's my SSN: [ID]"),
]

# Text that holds no personal data and must come back unchanged.
UNCHANGED = [
    "Der Artikel kostet 49,99 € und ist ab 12.03.2024 lieferbar.",
    "Ich habe 3 Pakete zu je 250 g bestellt, Lieferung am 15.03. um 14:30 Uhr.",
    "Das Paket mit der Bestellung von 2023 kam nie an.",
    "Die Rechnung über 1.234,56 € ist falsch.",
    "Ich möchte das iPhone 15 Pro mit 256 GB zurückgeben.",
    "Hallo Team, meine Bestellung ist unvollständig.",
    "Ich habe Artikel 5 und Seite 3 gelesen, Größe 42 passt nicht.",
    "Im Jahr 2022 habe ich 12345 Punkte gesammelt.",
    "Die Sendung wurde am Montag 12 Uhr zugestellt.",
    "Frage: Wann kommt meine Lieferung? Antwort: Morgen.",
    "Ich habe eine Frage zur Rechnung und zum Paket.",
    "Versandkosten 4,95 EUR, Gesamtbetrag 104,94 EUR.",
    "Ich war von 2019 bis 2021 Kunde.",
    "Ich bin Neukunde und habe eine Frage zur Bestellung.",
    "ich bin kunde seit 2019 und das paket kam nie an",
    "Max. 3 Stück pro Kunde.",
    "Am Montag um 10 Uhr habe ich angerufen.",
    "Bestellung 4711 ist da.",
    "Mein Geburtstag ist im Mai.",
    "The jacket costs $49.99 and I ordered 2 of them on 03/15/2024 at 10:30.",
    "In 2023 I bought 3 items for 120 dollars.",
    "The order arrived on Monday.",
    "Can you help me with Windows 11?",
    "Please refund 1,299.00 USD to my account.",
    "The meeting is at 14:30 on 2024-05-17.",
    "My IBAN is DE89 3704 0044 0532 0130 01.",  # checksum fails: not an IBAN
    "Card 4111 1111 1111 1112 was declined.",  # Luhn fails: not a card number
    "The server at 192.168.0.1 is down.",
]


@pytest.mark.parametrize(("text", "redacted"), GERMAN)
def test_german_personal_data_is_replaced_by_typed_placeholders(text, redacted):
    assert text_redact(text) == redacted


@pytest.mark.parametrize(("text", "redacted"), ENGLISH)
def test_english_personal_data_is_replaced_by_typed_placeholders(text, redacted):
    assert text_redact(text) == redacted


@pytest.mark.parametrize("text", UNCHANGED)
def test_text_without_personal_data_stays_unchanged(text):
    assert text_redact(text) == text


def test_known_name_is_redacted_in_every_part_and_case():
    redacted = text_redact(
        "erika hier, ERIKA MUSTERMANN. Mustermann ist mein Nachname.",
        known_names=["Erika Mustermann"],
    )

    assert redacted == "[NAME] hier, [NAME]. [NAME] ist mein Nachname."


def test_known_name_is_redacted_in_the_genitive():
    assert text_redact("Erikas Paket kam an.", known_names=["Erika Mustermann"]) == (
        "[NAME] Paket kam an."
    )


def test_known_name_that_is_a_common_word_is_still_redacted():
    assert text_redact("Grüße von Rose", known_names=["Rose Koch"]) == "Grüße von [NAME]"


def test_second_mention_of_a_detected_name_is_redacted():
    text = "Das Paket war für Sabine Wagner. Wagner hat es nie bekommen."

    assert text_redact(text) == "Das Paket war für [NAME]. [NAME] hat es nie bekommen."


def test_first_name_that_is_a_common_word_alone_stays():
    assert text_redact("Frank und frei gesagt: das Produkt ist schlecht.") == (
        "Frank und frei gesagt: das Produkt ist schlecht."
    )


def test_neighbouring_name_parts_become_one_placeholder():
    assert text_redact("Mein Name ist Anna Lena Meier.") == "Mein Name ist [NAME]."


def test_email_containing_a_name_is_one_email_placeholder():
    assert text_redact("Schreiben Sie an max.mustermann@example.de", known_names=["Max"]) == (
        "Schreiben Sie an [EMAIL]"
    )


def test_address_block_over_several_lines_is_one_placeholder():
    text = "Lieferadresse:\nHeidestraße 17\nWohnung 4\n51147 Köln\nDanke!"

    assert text_redact(text) == "Lieferadresse:\n[ADDRESS]\nDanke!"


def test_spans_are_sorted_typed_and_do_not_overlap():
    text = "Ich bin Anna Meier, 0171 2345678, anna@example.de, Musterweg 3, 12345 Musterstadt"

    spans = redaction_spans(text)

    assert [span.label for span in spans] == ["NAME", "PHONE", "EMAIL", "ADDRESS"]
    assert all(isinstance(span, RedactionSpan) for span in spans)
    assert all(left.end <= right.start for left, right in zip(spans, spans[1:], strict=False))
    assert text[spans[0].start : spans[0].end] == "Anna Meier"


def test_id_patterns_come_from_settings(settings):
    settings.REDACTION_ID_PATTERNS = [r"\bVIP-(?P<id>\d{4})\b"]

    # (six digits alone: too short for an id without its keyword)
    assert text_redact("Kundin VIP-1234, Bestellnummer 123456") == (
        "Kundin VIP-[ID], Bestellnummer 123456"
    )


def test_id_patterns_argument_overrides_settings():
    assert text_redact("Ticket T-99881", id_patterns=[r"T-\d{5}"]) == "Ticket [ID]"


def test_a_typical_message_costs_under_two_milliseconds_of_one_core():
    # CPU time of this process, not wall time: the shared test machine's other work
    # must not decide the result. Targets: p50 2 ms, p95 6 ms per chat message.
    messages = [text for text, _ in GERMAN + ENGLISH] + UNCHANGED
    text_redact("Erika Mustermann")  # loads the name lists and the recognisers once
    durations = []
    for text in messages:
        began = time.process_time()
        text_redact(text, allowed_words=())
        durations.append(time.process_time() - began)

    assert statistics.median(durations) < 0.002
    assert statistics.quantiles(durations, n=20)[-1] < 0.006


# Customer, order, invoice and insurance numbers in the layouts customers type them in.
ID_FORMS = [
    ("Bestellung 4711-2026 ist nicht angekommen.", "Bestellung [ID] ist nicht angekommen."),
    ("Bestellnr.: 4711-2026", "Bestellnr.: [ID]"),
    ("Bestell-Nr. 4711-2026 fehlt", "Bestell-Nr. [ID] fehlt"),
    ("Kd.-Nr. 556677, bitte prüfen", "Kd.-Nr. [ID], bitte prüfen"),
    ("Rechnung 2024-00815 ist falsch", "Rechnung [ID] ist falsch"),
    ("Meine Versicherungsnummer ist 12 345678 A 123.", "Meine Versicherungsnummer ist [ID]."),
    ("Versichertennummer: A123456789", "Versichertennummer: [ID]"),
    ("Policennummer PL-2024-778812", "Policennummer [ID]"),
    ("order no. A-123456 never arrived", "order no. [ID] never arrived"),
    ("Invoice INV-2024-0042 is wrong", "Invoice [ID] is wrong"),
    ("insurance number: 123456789", "insurance number: [ID]"),
    ("policy no. HX-99812", "policy no. [ID]"),
    ("Kundennummer\n123456", "Kundennummer\n[ID]"),
]


@pytest.mark.parametrize(("text", "redacted"), ID_FORMS)
def test_numbers_next_to_their_keyword_are_ids(text, redacted):
    assert text_redact(text, allowed_words=()) == redacted


@pytest.mark.parametrize(
    "text", ["Rechnung 12/2024 ist falsch", "Ihre Bestellung 2026 wurde versandt"]
)
def test_a_month_or_a_year_after_the_keyword_is_no_id(text):
    assert text_redact(text, allowed_words=()) == text


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Musterstraße\n12\n10115 Berlin", "[ADDRESS]"),
        ("Bitte an\nLindenweg 7\n3. OG\n20095 Hamburg\nliefern", "Bitte an\n[ADDRESS]\nliefern"),
        ("Lieferadresse:\nHauptstr. 5\nHinterhaus\n80331 München", "Lieferadresse:\n[ADDRESS]"),
        ("Ship to:\n12 High Street\nFlat 3\nLeeds\nLS1 4AB", "Ship to:\n[ADDRESS]"),
        ("221B Baker Street\nLondon\nNW1 6XE", "[ADDRESS]"),
    ],
)
def test_an_address_split_over_lines_is_one_placeholder(text, redacted):
    assert text_redact(text, allowed_words=()) == redacted


@pytest.mark.parametrize(
    "text", ["Die Lieferung in den 3. Stock war schwer.", "Ich wohne im EG, das Paket kam nicht."]
)
def test_a_floor_alone_is_no_address(text):
    assert text_redact(text, allowed_words=()) == text


def test_a_social_media_handle_is_a_name_but_an_email_is_an_email():
    assert text_redact("@lena_mueller hat mir geantwortet", allowed_words=()).startswith("[NAME]")
    assert text_redact("Mail an erika@example.de bitte", allowed_words=()) == (
        "Mail an [EMAIL] bitte"
    )
