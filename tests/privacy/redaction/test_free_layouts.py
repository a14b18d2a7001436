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
        "Artikelnummer 4711-0815 ist leider aus",
        "Der Preis ist 1249.99 oder 125000 Punkte",
        "Bestellung 2026 über 100000 EUR",
    ],
)
def test_product_words_dates_prices_and_sizes_stay_readable(text):
    assert text_redact(text, allowed_words=()) == text


def test_a_phone_number_without_a_keyword_stays_a_phone_number():
    assert text_redact("Erreichbar unter 0171 1234567", allowed_words=()) == (
        "Erreichbar unter [PHONE]"
    )
