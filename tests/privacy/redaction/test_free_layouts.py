"""Ids next to their keywords and addresses over several lines, German and English."""

import pytest

from privacy.redaction import text_redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Meine Kundennummer ist 556677", "Meine Kundennummer ist [ID]"),
        ("Kunden-Nr.: K-556677", "Kunden-Nr.: [ID]"),
        ("meine rechnungsnr lautet 884422", "meine rechnungsnr lautet [ID]"),
        ("Versicherungsschein-Nr. 40-1234567-8", "Versicherungsschein-Nr. [ID]"),
        ("Policennummer: VS 1234 5678", "Policennummer: [ID]"),
        ("invoice number INV-2026-0042", "invoice number [ID]"),
        ("my customer number is 556677", "my customer number is [ID]"),
        ("insurance number AB123456C", "insurance number [ID]"),
        ("order 100234 has not arrived", "order [ID] has not arrived"),
        # a year or a month after the keyword is no id
        ("Die Sendung 2026 kam nie", "Die Sendung 2026 kam nie"),
        ("Rechnung 12/2024", "Rechnung 12/2024"),
    ],
)
def test_ids_next_to_their_keyword(text, expected):
    assert text_redact(text, allowed_words=()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Meine Adresse:\nHauptstr. 5\n\n80331 München", "Meine Adresse:\n[ADDRESS]"),
        # who receives it for the addressee, on a line of its own
        ("Bahnhofstraße 12a\nc/o Müller\n01067 Dresden", "[ADDRESS]"),
        # the floor and the side of the landing
        (
            "Lieferung an: Am Markt 3, 2. OG links, 04109 Leipzig",
            "Lieferung an: [ADDRESS]",
        ),
        # the flat on the line above the street
        ("Flat 3\n12 High Street\nLeeds LS1 4AP", "[ADDRESS]"),
        ("I live at\n221B Baker Street\nLondon NW1 6XE", "I live at\n[ADDRESS]"),
    ],
)
def test_addresses_split_over_lines_are_one(text, expected):
    assert text_redact(text, allowed_words=()) == expected


@pytest.mark.parametrize("text", ["Ich wohne im 2. OG links", "Flat 3 is nice"])
def test_a_floor_or_a_flat_alone_is_no_address(text):
    assert text_redact(text, allowed_words=()) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an agent's reply names the order without saying "Bestellnummer"
        ("die Erstattung für BX-77342291 ist unterwegs", "die Erstattung für [ID] ist unterwegs"),
        ("die Erstattung für 4711-2026 ist unterwegs.", "die Erstattung für [ID] ist unterwegs."),
        ("Zu A123456789 liegt nichts vor", "Zu [ID] liegt nichts vor"),
        ("Unser Zeichen H/2021/12345", "Unser Zeichen [ID]"),
        ("Your parcel 00340434161094042557 is out", "Your parcel [ID] is out"),
        ("see INV-2026-0042, thanks", "see [ID], thanks"),
        ("Ist 7734229 schon raus?", "Ist [ID] schon raus?"),
    ],
)
def test_codes_shaped_like_ids_are_hidden_without_a_keyword(text, expected):
    assert text_redact(text, allowed_words=()) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Das iPhone 15 und die PS5 kosten zusammen 1.299,00 €",
        "Lieferung am 12.03.2026 um 14:30, Größe 38-40",
        "Akku mit 10000mAh, Auflösung 1920x1080, RAM DDR4-3200",
        "Angebote 2020-2024 und im Geschäftsjahr 2024/25",
        "Seiten 306-312, erbaut 1737-1738",
        "vom 12.03.2026-14.03.2026 geschlossen, sonst zwischen 14.30-15.30 erreichbar",
        "Artikelnummer 4711-0815 ist leider aus",
        "Der Preis ist 1249.99 oder 125000 Punkte",
        "Bestellung 2026 über 100000 EUR",
        # what machines name things with: a checksum, a model's version, a UUID
        "Prüfsumme 3f2a9c4e5b6d7e8f90 stimmt, geladen: de-e771ac6f849a",
        "conversation 550e8400-e29b-41d4-a716-446655440000",
        "started 2026-03-12T14:30:05Z",
    ],
)
def test_product_words_dates_prices_and_sizes_stay_readable(text):
    assert text_redact(text, allowed_words=()) == text


def test_a_phone_number_without_a_keyword_stays_a_phone_number():
    assert text_redact("Erreichbar unter 0171 1234567", allowed_words=()) == (
        "Erreichbar unter [PHONE]"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a doctor's letter: the clinic's and the office's numbers after their keyword
        ("Pat.-Nr.: 4711234", "Pat.-Nr.: [ID]"),
        ("Eingangsnummer E 96375/24", "Eingangsnummer [ID]"),
        ("Befund-Nr. H/2022/87770", "Befund-Nr. [ID]"),
        ("Aufnahme-Nr. 7012345", "Aufnahme-Nr. [ID]"),
        ("PID 0012345678", "PID [ID]"),
        ("Ihre Nachricht vom 01.02.2021, Az. 3 K 12/21", "Ihre Nachricht vom 01.02.2021, Az. [ID]"),
        ("Unser Zeichen: kl-12345", "Unser Zeichen: [ID]"),
        ("Patient-Nr. 12345", "Patient-Nr. [ID]"),
        ("SV-Nr. 1234 010180", "SV-Nr. [ID]"),
        ("Aufnahmezahl 2021/12345", "Aufnahmezahl [ID]"),
    ],
)
def test_ids_of_letters_next_to_their_keyword(text, expected):
    assert text_redact(text, allowed_words=()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patientin: Frau Muster, geb. 12.03.1961", "Patientin: Frau [NAME], geb. [DATE_OF_BIRTH]"),
        ("geb. am 01.02.1943 in Köln", "geb. am [DATE_OF_BIRTH] in Köln"),
        (
            "Herr Oskar Muster (*31.10.1993), Lindenweg 5",
            "Herr [NAME] (*[DATE_OF_BIRTH]), [ADDRESS]",
        ),
    ],
)
def test_birth_dates_after_geb_and_the_birth_mark(text, expected):
    assert text_redact(text, allowed_words=()) == expected


def test_a_bullet_before_a_date_is_no_birth_mark():
    assert text_redact("* 12.03.2024 Lieferung", allowed_words=()) == "* 12.03.2024 Lieferung"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # street and town joined by a middle dot or a dash, in a letterhead
        ("Klinikum\nKaulplatz 10a · 31575 Kötzting\nTel.", "Klinikum\n[ADDRESS]\nTel."),
        ("wohnhaft Stiebitzweg 135 - 34104 Waren, die sich", "wohnhaft [ADDRESS], die sich"),
        ("Jüttner-Weg 21 - 2085 Pregarten\nPID 1234567", "[ADDRESS]\nPID [ID]"),
        ("Marga-Platz 147 - 34580 Neunburg vorm Wald, die", "[ADDRESS], die"),
        # a town that is also a common word, after its postcode
        ("Praxis\nKasimir-Ring 161\n93597 Waren\n\nDanke", "Praxis\n[ADDRESS]\n\nDanke"),
        # towns of two words; Austrian postcodes and door numbers
        ("Lindenweg 5, 87874 Bad Liebenwerda", "[ADDRESS]"),
        ("Praxis\nHauptplatz 3\n8010 Graz", "Praxis\n[ADDRESS]"),
        ("Ordination in 8010 Graz, Montag", "Ordination in [ADDRESS], Montag"),
        ("wohnhaft in 1100 Wien, Favoritenstraße 12/3/4", "wohnhaft in [ADDRESS]"),
        # a form, one field a line
        (
            "Straße: Fischerstr.\nHausnummer: 12\nPLZ: 80243\nOrt: Oschatz",
            "Straße: [ADDRESS]\nHausnummer: [ADDRESS]\nPLZ: [ADDRESS]\nOrt: [ADDRESS]",
        ),
        ("Please send it to:\nFlat 37\nAkhtar Hill\nLeeds\nLS1 4AP\n\nThanks", None),
    ],
)
def test_addresses_of_letters_and_forms(text, expected):
    redacted = text_redact(text, allowed_words=())
    if expected is None:  # the whole block, whatever its lines
        assert redacted == "Please send it to:\n[ADDRESS]\n\nThanks"
    else:
        assert redacted == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the next line of the letter is no part of the address before it
        (
            "Anschrift: Lindenweg 79, 79576 Neustrelitz\nRechnungsnummer RE-2024-32569\n\nSehr",
            "Anschrift: [ADDRESS]\nRechnungsnummer [ID]\n\nSehr",
        ),
        (
            "Adresse:\nWeihmanngasse 179\n72176 Ansbach\n\nMit freundlichen Grüßen",
            "Adresse:\n[ADDRESS]\n\nMit freundlichen Grüßen",
        ),
        ("Lindenweg 26, 94974 Malchin\n\nLG\nSelma", "[ADDRESS]\n\nLG\n[NAME]"),
        ("wohnhaft in 87925 Schleiz, Baumring 95, der sich", "wohnhaft in [ADDRESS], der sich"),
    ],
)
def test_an_address_block_ends_where_the_letter_goes_on(text, expected):
    assert text_redact(text, allowed_words=(), use_recogniser=False) == expected


@pytest.mark.parametrize(
    "text",
    ["Ich habe 2000 Euro bezahlt", "Wir haben 1500 Kunden, und", "seit 1998 Mitglied"],
)
def test_four_digits_before_a_word_are_no_postcode(text):
    assert text_redact(text, allowed_words=()) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tel.: 0316/385-12345, Fax: DW 12346", "Tel.: [PHONE], Fax: DW [PHONE]"),
        ("Fax: -12346", "Fax: -[PHONE]"),
        ("Durchwahl 8123", "Durchwahl [PHONE]"),
    ],
)
def test_an_extension_alone_is_part_of_a_phone_number(text, expected):
    assert text_redact(text, allowed_words=()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Name: Qwertzel, Brunhold\nGeburtsdatum: 10.03.95",
            "Name: [NAME]\nGeburtsdatum: [DATE_OF_BIRTH]",
        ),
        ("Name: Müller, Anna", "Name: [NAME]"),
        ("Patient: Müller, Anna", "Patient: [NAME]"),
        ("Patientin: Qwertzel, Brunhilde", "Patientin: [NAME]"),
        ("Name, Vorname: Qwertzel, Brunhold", "Name, Vorname: [NAME]"),
        ("Vorname, Name: Brunhold Qwertzel", "Vorname, Name: [NAME]"),
        ("Nachname: Qwertzel\nVorname: Brunhold", "Nachname: [NAME]\nVorname: [NAME]"),
        ("Patient: Frau Qwertzel, Anna", "Patient: Frau [NAME]"),
        ("Patient: Koch II, Zdravko\tgeb. 01.02.1950", "Patient: [NAME]\tgeb. [DATE_OF_BIRTH]"),
        ("Name: Smith, John", "Name: [NAME]"),
        ("Patient name: Qwertzel, Brunhold", "Patient name: [NAME]"),
        ("Surname, first name: Qwertzel, Brunhold", "Surname, first name: [NAME]"),
    ],
)
def test_a_forms_name_field_surname_first_is_one_name(text, expected):
    assert text_redact(text, use_recogniser=False, allowed_words=()) == expected
    assert text_redact(text, allowed_words=()) == expected


@pytest.mark.parametrize(
    "text", ["Patient: 45 Jahre, weiblich", "Patient: Männlich, 45 J.", "Patient: Hund, Katze"]
)
def test_a_patient_field_without_a_name_keeps_its_words(text):
    assert text_redact(text, use_recogniser=False, allowed_words=()) == text


def test_a_name_field_ends_before_a_sentence_after_its_comma():
    redacted = text_redact("Name: Müller, Sie haben recht", use_recogniser=False, allowed_words=())
    assert redacted == "Name: [NAME], Sie haben recht"
