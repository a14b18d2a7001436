"""A synthetic development set of German letters and e-mails for `manage.py redact_eval`.

Doctors' letters (the layout of GraSCCo, the held-out set issue 15 measures, which stays
outside the project and was not looked at), customers' e-mails and forms, built from
Faker's German name and place lists with a fixed seed, so the set is the same on every
machine. Gold labels: PERSON, ADDRESS (street and house number, postcode and city, as
one span when they follow each other), ID, PHONE, EMAIL, DATE_OF_BIRTH; a town alone,
the clinic and the other dates are NEUTRAL (LOCATION, ORGANIZATION).

    python benchmarks/redact_letters_de.py --out /tmp/letters_de.jsonl [--count 120] [--seed 15]
    python manage.py redact_eval --data /tmp/letters_de.jsonl --lang de --baseline

It is a development set: tune on it freely, and report figures on a seed not tuned on.
"""

import argparse
import datetime
import json
import random
from pathlib import Path

from faker import Faker


class Letter:
    """Text built piece by piece, with the gold span of each labelled piece."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[list] = []
        self.length = 0

    def add(self, text: str, label: str | None = None) -> "Letter":
        if label and text:
            self.spans.append([self.length, self.length + len(text), label])
        self.parts.append(text)
        self.length += len(text)
        return self

    def record(self) -> dict:
        return {"text": "".join(self.parts), "spans": self.spans}


class Material:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.faker = Faker("de_DE")
        self.faker.seed_instance(seed)
        # Austrian and Swiss letters: four-digit postcodes, "12/3/4" (house, stair, door).
        self.neighbours = [Faker("de_AT"), Faker("de_CH")]
        for index, faker in enumerate(self.neighbours):
            faker.seed_instance(seed + index + 1)
        self.english = Faker("en_GB")
        self.english.seed_instance(seed + 3)

    def choice(self, options):
        return self.random.choice(options)

    def first_name(self, sex: str) -> str:
        return self.faker.first_name_female() if sex == "f" else self.faker.first_name_male()

    def surname(self) -> str:
        return self.faker.last_name()

    def street(self) -> str:
        number = str(self.random.randint(1, 180))
        if self.random.random() < 0.2:
            number += self.choice("abc")
        elif self.random.random() < 0.1:
            number += f"/{self.random.randint(1, 9)}/{self.random.randint(1, 30)}"
        name = self.faker.street_name()
        if self.random.random() < 0.15 and name.endswith("straße"):
            name = name[: -len("straße")] + "str."
        return f"{name} {number}"

    def place(self) -> tuple[str, str]:
        if self.random.random() < 0.15:
            faker = self.choice(self.neighbours)
            prefix = self.choice(["", "A-" if faker is self.neighbours[0] else "CH-"])
            return prefix + faker.postcode(), faker.city()
        return self.faker.postcode(), self.faker.city()

    def date(self, start: int = 2015, end: int = 2024) -> str:
        return self.faker.date_between_dates(
            date_start=datetime.date(start, 1, 1), date_end=datetime.date(end, 12, 28)
        ).strftime(self.choice(["%d.%m.%Y", "%d.%m.%y", "%d.%m.%Y"]))

    def birth_date(self) -> str:
        return self.date(1930, 2005)

    def phone(self) -> str:
        area = self.choice(["030", "089", "0221", "0511", "0351", "0711", "0621", "0341"])
        local = str(self.random.randint(100000, 9999999))
        extension = str(self.random.randint(10, 99999))
        return self.choice(
            [
                f"{area} {local}",
                f"{area}/{local}",
                f"{area}-{local}",
                f"+49 {area[1:]} {local}",
                f"{area} {local[:3]}-{extension}",
                f"0316/385-{extension}",
            ]
        )

    def mobile(self) -> str:
        prefix = self.random.choice(["51", "60", "70", "71", "76"])
        return f"01{prefix} {self.random.randint(1000000, 99999999)}"

    def id_value(self) -> tuple[str, str]:
        """A keyword and a number, in the forms letters and shops write them."""
        digits = lambda n: str(self.random.randint(10 ** (n - 1), 10**n - 1))  # noqa: E731
        year = str(self.random.randint(2015, 2024))
        return self.choice(
            [
                ("Pat.-Nr.", digits(7)),
                ("Patienten-Nr.", digits(8)),
                ("PID", "00" + digits(8)),
                ("Fall-Nr.", digits(10)),
                ("Fallnummer", f"{year}-{digits(6)}"),
                ("Aufnahme-Nr.", digits(7)),
                ("Auftrags-Nr.", f"A-{digits(6)}"),
                ("Labor-Nr.", f"L{digits(6)}"),
                ("Eingangsnummer", f"E {digits(5)}/{year[2:]}"),
                ("Befund-Nr.", f"H/{year}/{digits(5)}"),
                ("Versichertennummer", f"{self.choice('ABCDKMSTW')}{digits(9)}"),
                ("Vers.-Nr.", f"{self.choice('ABCDKMSTW')}{digits(9)}"),
                ("Kundennummer", digits(7)),
                ("Kd.-Nr.", f"K-{digits(6)}"),
                ("Bestellnummer", f"{self.choice(['BX', 'DE', 'AB'])}-{digits(8)}"),
                ("Rechnungsnummer", f"RE-{year}-{digits(5)}"),
                ("Vertragsnummer", f"{digits(3)}/{digits(6)}"),
                ("Unser Zeichen:", f"{self.choice(['kl', 'mü', 'ab'])}-{digits(5)}"),
                ("Az.", f"{self.random.randint(1, 30)} O {digits(3)}/{year[2:]}"),
                ("Aufnahmezahl", f"{year}/{digits(5)}"),
                (
                    "SV-Nr.",
                    # Austrian social insurance: four digits and the birth date
                    f"{digits(4)} {self.random.randint(10, 28)}0"
                    f"{self.random.randint(1, 9)}{year[2:]}",
                ),
                ("IK", digits(9)),
                ("Tgb.-Nr.", f"{year[2:]}/{digits(5)}"),
            ]
        )


def _patient(m: Material) -> tuple[str, str, str, str]:
    sex = m.choice("fm")
    return sex, m.first_name(sex), m.surname(), ("Frau" if sex == "f" else "Herr")


def _address_block(letter: Letter, m: Material, *, one_line: bool = False) -> None:
    postcode, city = m.place()
    separator = m.choice([", ", " · ", " - "]) if one_line else m.choice(["\n", "\n\n"])
    letter.add(f"{m.street()}{separator}{postcode} {city}", "ADDRESS")


def doctors_letter(m: Material) -> dict:
    letter = Letter()
    sex, first, surname, title = _patient(m)
    clinic_city = m.place()[1]
    letter.add(
        m.choice(
            ["Klinikum ", "Kreiskrankenhaus ", "St.-Marien-Hospital ", "Universitätsklinikum "]
        )
        + clinic_city,
        "ORGANIZATION",
    ).add("\n")
    letter.add(
        m.choice(["Klinik für Innere Medizin", "Abteilung für Unfallchirurgie", "Neurologie"])
    )
    letter.add("\nChefarzt Prof. Dr. med. ").add(f"{m.first_name('m')} {m.surname()}", "PERSON")
    letter.add("\n")
    _address_block(letter, m, one_line=True)
    letter.add("\nTel. ").add(m.phone(), "PHONE").add("\n\n")
    doctor_sex = m.choice("fm")
    doctor = m.surname()
    letter.add("Frau Dr. med. " if doctor_sex == "f" else "Herrn Dr. med. ")
    letter.add(f"{m.first_name(doctor_sex)} {doctor}", "PERSON").add("\n")
    letter.add(m.choice(["Fachärztin für Allgemeinmedizin\n", "Praxis für Innere Medizin\n", ""]))
    _address_block(letter, m)
    letter.add("\n\n").add(clinic_city, "LOCATION").add(", ").add(m.date(), "NEUTRAL")
    letter.add("\n\n" + m.choice(["Entlassungsbericht", "Arztbrief", "Vorläufiger Arztbrief"]))
    letter.add("\n\n")
    # The patient's line: name, birth date, ids, in one of the layouts letters use.
    layout = m.random.randint(0, 2)
    if layout == 0:
        letter.add("Patient: " if sex == "m" else "Patientin: ")
        letter.add(f"{first} {surname}", "PERSON").add(", geb. ").add(
            m.birth_date(), "DATE_OF_BIRTH"
        )
        letter.add("\n")
    elif layout == 1:
        letter.add("Name: ").add(f"{surname}, {first}", "PERSON")
        letter.add("\nGeburtsdatum: ").add(m.birth_date(), "DATE_OF_BIRTH").add("\nAnschrift: ")
        _address_block(letter, m, one_line=True)
        letter.add("\n")
    else:
        letter.add(f"{title} ").add(f"{first} {surname}", "PERSON").add(" (*")
        letter.add(m.birth_date(), "DATE_OF_BIRTH").add("), ")
        _address_block(letter, m, one_line=True)
        letter.add("\n")
    for _ in range(m.random.randint(1, 3)):
        keyword, value = m.id_value()
        letter.add(f"{keyword} ").add(value, "ID").add(m.choice(["\n", "   "]))
    letter.add("\n")
    salutation = (
        "Sehr geehrte Frau Kollegin " if doctor_sex == "f" else "Sehr geehrter Herr Kollege "
    )
    letter.add(salutation).add(doctor, "PERSON").add(",\n\n")
    letter.add(
        "wir berichten über " + ("Ihre Patientin Frau " if sex == "f" else "Ihren Patienten Herrn ")
    )
    letter.add(f"{first} {surname}", "PERSON").add(", geb. am ").add(
        m.birth_date(), "DATE_OF_BIRTH"
    )
    if m.random.random() < 0.6:
        letter.add(m.choice([", wohnhaft ", ", wohnhaft in ", " aus "]))
        if m.random.random() < 0.5:
            postcode, city = m.place()
            letter.add(f"{postcode} {city}, {m.street()}", "ADDRESS")
        else:
            _address_block(letter, m, one_line=True)
    letter.add(", ").add("die" if sex == "f" else "der").add(" sich vom ").add(m.date(), "NEUTRAL")
    letter.add(" bis zum ").add(m.date(), "NEUTRAL").add(
        " in unserer stationären Behandlung befand.\n\n"
    )
    letter.add(
        m.choice(
            [
                "Diagnosen: Pneumonie rechts basal, Diabetes mellitus Typ 2, "
                "arterielle Hypertonie.\n",
                "Diagnose: Distale Radiusfraktur links (AO 23-A2), Z. n. Sturz am ",
                "Aufnahmegrund: akute Dyspnoe, Troponin 0,04 ng/ml, Hb 11,2 g/dl, CRP 86 mg/l.\n",
            ]
        )
    )
    if letter.parts[-1].endswith("am "):
        letter.add(m.date(), "NEUTRAL").add(".\n")
    letter.add("Therapie: Ceftriaxon 2 g i.v. 1-0-0 für 7 Tage, Metformin 1000 mg 1-0-1.\n")
    if m.random.random() < 0.5:
        relative_sex = m.choice("fm")
        letter.add(m.choice(["Die Tochter ", "Der Sohn ", "Die Ehefrau ", "Der Ehemann "]))
        letter.add(f"{m.first_name(relative_sex)} {surname}", "PERSON")
        letter.add(" ist unter ").add(m.mobile(), "PHONE").add(" erreichbar.\n")
    letter.add("\nMit freundlichen kollegialen Grüßen\n\n")
    letter.add("Prof. Dr. med. ").add(f"{m.first_name('m')} {m.surname()}", "PERSON")
    letter.add(m.choice(["\t\t", "    ", "\n"])).add("Dr. ").add(
        f"{m.first_name('f')} {m.surname()}", "PERSON"
    )
    letter.add("\nChefarzt" + m.choice(["\t\t", "    ", "\n"]) + "Assistenzärztin\n")
    return letter.record()


def customer_email(m: Material) -> dict:
    letter = Letter()
    sex, first, surname, title = _patient(m)
    letter.add(m.choice(["Hallo,\n\n", "Guten Tag,\n\n", "Sehr geehrte Damen und Herren,\n\n"]))
    keyword, value = m.id_value()
    letter.add(m.choice(["es geht um meine ", "ich schreibe wegen meiner ", "betrifft: "]))
    letter.add(f"{keyword} ").add(value, "ID").add(". ")
    letter.add(
        m.choice(
            [
                "Das Paket ist noch nicht angekommen, obwohl es am ",
                "Die Rechnung über 129,90 € kam am ",
                "Der Artikel (Größe 42, Artikelnummer 4711-0815) wurde am ",
            ]
        )
    )
    letter.add(m.date(2024, 2024), "NEUTRAL").add(" verschickt wurde.\n")
    if m.random.random() < 0.5:
        letter.add("Die Erstattung für ")
        letter.add(m.choice(["BX-", "AB-", ""]) + str(m.random.randint(10**7, 10**8 - 1)), "ID")
        letter.add(" fehlt auch noch.\n")
    letter.add(
        m.choice(
            [
                "Bitte liefern Sie an meine neue Adresse:\n",
                "Meine Anschrift:\n",
                "Neue Lieferadresse: ",
            ]
        )
    )
    if letter.parts[-1].endswith("\n"):
        letter.add(f"{first} {surname}", "PERSON").add("\n")
        if m.random.random() < 0.3:
            letter.add(m.choice(["c/o ", "bei "])).add(m.surname(), "PERSON").add("\n")
        _address_block(letter, m)
    else:
        _address_block(letter, m, one_line=True)
    letter.add("\n\n" + m.choice(["Viele Grüße\n", "Mit freundlichen Grüßen\n", "LG\n"]))
    letter.add(f"{first} {surname}", "PERSON")
    if m.random.random() < 0.6:
        letter.add("\nTel.: ").add(m.mobile(), "PHONE")
    if m.random.random() < 0.5:
        email = (
            f"{first.lower()}.{surname.lower()}@example.de".replace("ü", "ue")
            .replace("ö", "oe")
            .replace("ä", "ae")
            .replace("ß", "ss")
        )
        letter.add("\nE-Mail: ").add(email, "EMAIL")
    return letter.record()


def form(m: Material) -> dict:
    letter = Letter()
    sex, first, surname, title = _patient(m)
    postcode, city = m.place()
    street = m.street()
    name, number = street.rsplit(" ", 1)
    letter.add("Anrede: " + title + "\nVorname: ").add(first, "PERSON").add("\nNachname: ").add(
        surname, "PERSON"
    )
    letter.add("\nStraße: ").add(name, "ADDRESS").add(m.choice(["\nHausnummer: ", "\nNr.: "])).add(
        number, "ADDRESS"
    )
    letter.add("\nPLZ: ").add(postcode, "ADDRESS").add("\nOrt: ").add(city, "ADDRESS")
    letter.add("\nGeburtsdatum: ").add(m.birth_date(), "DATE_OF_BIRTH")
    keyword, value = m.id_value()
    letter.add(f"\n{keyword} ").add(value, "ID")
    letter.add("\nAnliegen: Rückerstattung für die Bestellung vom ").add(
        m.date(2024, 2024), "NEUTRAL"
    )
    return letter.record()


def english_email(m: Material) -> dict:
    letter = Letter()
    faker = m.english
    first, surname = faker.first_name(), faker.last_name()
    letter.add(m.choice(["Hi,\n\n", "Hello support team,\n\n", "Dear Sir or Madam,\n\n"]))
    digits = str(m.random.randint(10**6, 10**8))
    keyword, value = m.choice(
        [
            ("order ref:", f"#{digits}"),
            ("invoice no.", f"INV-{m.random.randint(2019, 2024)}-{digits[:5]}"),
            ("my customer number is", digits),
            ("policy number", f"PL{digits}"),
            ("claim", f"CL-{digits}"),
        ]
    )
    letter.add(f"about {keyword} ").add(value.lstrip("#"), "ID").add(
        m.choice([": the parcel never arrived.\n", " - I was charged twice (£49.99).\n"])
    )
    letter.add("Please send the replacement to:\n").add(f"{first} {surname}", "PERSON").add("\n")
    address = faker.address()
    letter.add(address, "ADDRESS")
    letter.add("\n\nThanks,\n").add(f"{first} {surname}", "PERSON")
    if m.random.random() < 0.5:
        letter.add("\nMobile: ").add(faker.phone_number(), "PHONE")
    return letter.record()


def letters(count: int, seed: int) -> list[dict]:
    material = Material(seed)
    makers = [doctors_letter, doctors_letter, customer_email, form, doctors_letter, english_email]
    return [makers[index % len(makers)](material) for index in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--seed", type=int, default=15)
    arguments = parser.parse_args()
    with arguments.out.open("w", encoding="utf-8") as out:
        for record in letters(arguments.count, arguments.seed):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
