"""Postal addresses: street and house number, post boxes, postcode and city, whole blocks.

A street is recognised by a street word ("Musterstraße 12a", "Hauptstr. 5",
"221B Baker Street", "Rue de Virton 38", "ul. Miła 53"), by a German
preposition form ("Am Markt 3"), by the shape "building number, name, house
number" at the start of a line or after a word that announces an address, or by
that announcing word alone ("wohne in der …", "lives at …", "send it to …").
Each hit is then grown over what follows it in an address block (flat and
suite numbers, postcode, city, state, country, on the same or the next lines),
because the lines of an address identify a person only together.
"""

import functools
import re

from privacy.redaction.names import common_words
from privacy.redaction.patterns import has_digit, regex_starting_with

ADDRESS = "ADDRESS"
Span = tuple[int, int, str]

_L = r"[^\W\d_]"  # a letter, in any script
_WORD = rf"{_L}[\w'’.\-]*"
_CAP_WORD = r"(?-i:[A-ZÀ-ÖØ-ÞĀ-ŽΑ-ΩА-Я])[\w'’.\-∆]*"
# "12a", "3-5", "12/3/4" (Austria: house, staircase, door)
_HOUSE_NUMBER = (
    # (a range has a blank on one side at most: "21 - 2085 Pregarten" is a postcode)
    r"\d{1,5}(?:[ ]?[a-zA-Z](?![\w]))?(?:(?:[-/][ ]?|[ ][-/])\d{1,4}(?!\d)[a-zA-Z]?)?"
    r"(?:/\d{1,3}(?!\d)){0,2}\.?"
)

# Street words written as the end of the street's name (Musterstraße, Koskikatu) …
_STREET_SUFFIXES = (
    "straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "ring", "damm", "ufer",
    "chaussee", "pfad", "steig", "stieg", "markt", "graben", "kamp", "wall", "brücke",
    "zeile", "promenade", "steg", "bogen", "anger", "twiete", "gässchen", "stiege", "leite",
    "katu", "tie", "kuja", "polku", "raitti", "vej", "gade", "gata", "gatan", "vägen",
    "väg", "veien", "vegen", "vei", "gate", "stræde", "straat", "laan", "dreef", "plein",
    "kade", "gracht", "steeg", "singel", "utca", "út", "körút", "ulica", "ulice", "cesta",
    "sokak", "sokağı", "caddesi", "bulvarı", "strada", "stræti", "braut", "gasse",
)  # fmt: skip
# … as a word of its own after the name (Baker Street, Pennsylvania Ave) …
_STREET_TYPES = (
    "street", "st", "st.", "road", "rd", "rd.", "avenue", "ave", "ave.", "lane", "ln",
    "drive", "dr", "dr.", "boulevard", "blvd", "blvd.", "court", "ct", "place", "pl",
    "way", "close", "crescent", "terrace", "square", "sq", "sq.", "parkway", "pkwy",
    "highway", "hwy", "row", "walk", "mews", "grove", "gardens", "circle", "cir", "trail",
    "plaza", "alley", "loop", "path", "pike", "straße", "strasse", "str.", "weg", "gasse",
    "platz", "allee", "ring", "damm", "ufer", "chaussee",
)  # fmt: skip
# … or before it (Rue de Virton, Via Roma, ul. Miła).
_STREET_PREFIXES = (
    "rue", "via", "viale", "piazza", "piazzale", "piazzetta", "corso", "largo", "vicolo",
    "rua", "r.", "avenida", "av.", "avda.", "calle", "c/", "paseo", "plaza", "praça",
    "travessa", "estrada", "carrer", "avinguda", "chemin", "boulevard", "bd", "allée",
    "place", "quai", "impasse", "route", "ul.", "ulica", "al.", "aleja", "trg", "avenue",
    "strada", "platz",
)  # fmt: skip
_GERMAN_PREPOSITIONS = (
    r"(?:Am|An\s+der|An\s+den|Auf\s+der|Auf\s+dem|Im|In\s+der|In\s+den|Zum|Zur|Unter\s+den|"
    r"Hinter\s+der|Hinter\s+dem|Vor\s+dem|Alte|Alter|Altes|Neue|Neuer|Große|Großer|Kleine)"
)


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))


_SUFFIX_STREET_RE = re.compile(
    rf"(?<![\w-])(?:{_CAP_WORD}[ \-])*?{_L}[\w'’\-]*?(?:{_alternation(_STREET_SUFFIXES)})"
    # The house number may stand on the next line ("Musterstraße\n12").
    rf"(?![\w])(?:[ ]?|[ \t]*\n[ \t]*)(?:{_HOUSE_NUMBER})(?![\d,]\d)",
    re.IGNORECASE,
)
# What every match of _SUFFIX_STREET_RE holds, read backwards: a digit, a blank or a line
# break, a street suffix. Searching the reversed text for it costs a digit test at most
# characters; the regex above tries its 70 suffixes at each (0.1 ms on a question with a
# number).
_NUMBER_AFTER_SUFFIX_REVERSED_RE = re.compile(
    rf"\d(?:[ ]|[ \t]*\n[ \t]*)(?:{_alternation(tuple(s[::-1] for s in _STREET_SUFFIXES))})",
    re.IGNORECASE,
)
_SEPARATE_SUFFIX_STREET_RE = re.compile(
    rf"(?<![\w-])(?:{_CAP_WORD}[ \-]){{1,3}}(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|"
    rf"Ring|Damm|Ufer|Chaussee)[ ](?:{_HOUSE_NUMBER})(?![\d,]\d)"
)
_TYPE_STREET_RE = re.compile(
    rf"(?<![\w.,])\d{{1,5}}[a-zA-Z]?[ ](?:{_WORD}[ ]){{0,3}}?{_WORD}[ ]"
    rf"(?:{_alternation(_STREET_TYPES)})(?![\w])(?:[ ](?:N|S|E|W|NE|NW|SE|SW)\b)?",
    re.IGNORECASE,
)
_TYPE_STREET_NO_NUMBER_RE = re.compile(
    rf"(?<![\w])(?:{_CAP_WORD}[ ]){{1,3}}(?:Street|Road|Avenue|Lane|Drive|Boulevard|Terrace|"
    rf"Crescent|Court|Close|Place|Square|Parkway)(?![\w])"
)
_PREFIX_STREET_RE = re.compile(
    rf"(?<![\w])(?:{_alternation(_STREET_PREFIXES)})[ ](?:{_WORD}[ ]){{0,4}}?"
    rf"(?:{_HOUSE_NUMBER})(?![\d,]\d)",
    re.IGNORECASE,
)
_NUMBER_FIRST_PREFIX_STREET_RE = re.compile(
    rf"(?<![\w.,])\d{{1,4}}[a-zA-Z]?[ ](?:{_alternation(_STREET_PREFIXES)})"
    # In any case up to the line's end ("26 rue des lieutemants Thomazo\n"), else the
    # capitalised words and particles of the name.
    rf"(?:(?:[ ]{_WORD}){{1,5}}(?=[ \t]*(?:\n|$))"
    rf"|(?:[ ](?:{_CAP_WORD}|de|des|du|la|le|del|della|di|da|do|dos|das|al|el)){{1,5}})",
    re.IGNORECASE,
)
_GERMAN_PREPOSITION_STREET_RE = re.compile(
    rf"(?<![\w]){_GERMAN_PREPOSITIONS}[ ](?:{_CAP_WORD}[ ]){{0,2}}{_CAP_WORD}[ ]"
    rf"(?P<number>{_HOUSE_NUMBER})(?=\s*(?:$|[,;\n]|\d{{5}}|in\b|\.(?:\s|$)|\)))"
)
# "28245 Puruntie 82": a building or postcode number, a name, a house number.
_NUMBER_NAME_NUMBER_RE = re.compile(
    rf"(?<![\w.,:/\-])\d{{2,5}}[ ](?P<name>(?:{_WORD}[ ]){{0,3}}{_WORD})[ ]"
    rf"(?:{_HOUSE_NUMBER})(?![\d,:]\d|[\w])"
)
_SHIP = r"(?<![\w])(?:USNS|USNV|USCGC|USS)\s+(?:[^\W\d_][\w'’\-]*)(?:[ ](?-i:[A-Z])[\w'’\-]*)?"
_BOX_RE = re.compile(
    r"(?<![\w])(?:P\.?\s?O\.?\s?Box|Post\s+Office\s+Box|Postbox|Postfach|"
    r"(?:PSC|Unit|CMR)\s+\d{1,5},?\s+Box)\s+\d{1,6}(?:[ ]\d{2}){0,3}"
    r"|(?<![\w])(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}"
    rf"|{_SHIP}",
    re.IGNORECASE,
)
# _BOX_RE in a text without digits, where its other branches cannot match.
_SHIP_RE = regex_starting_with("u", _SHIP, re.IGNORECASE)
_UNIT = (
    r"(?:(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Whg\.?|Wohnung|Flat)[ ]?#?[ ]?\d{1,5}[a-zA-Z]?"
    # The floor and the part of a building, on a line of their own in German addresses.
    r"|(?:\d{1,2}\.?[ ]?(?:OG|Obergeschoss|Etage|Stock|floor)|EG|DG|Erdgeschoss|"
    r"Dachgeschoss|Hinterhaus|Vorderhaus|Seitenflügel|Gartenhaus|Souterrain)"
    # … and the side of the landing ("2. OG links", "EG rechts").
    r"(?:[ ](?:links|rechts|mitte|li\.|re\.|left|right))?(?=[ \t]*(?:\n|,|$))"
    # "c/o Müller": who receives it for the addressee, a line of the address.
    r"|c/o[ ][^\W\d_][^\n,;]{1,40}(?=[ \t]*(?:\n|,|$)))"
)
_UNIT_RE = re.compile(rf"(?<![\w])(?i:{_UNIT})(?![\w])")
_YEAR_LIKE_RE = re.compile(r"1[89]\d\d|20\d\d")
_GERMAN_POSTCODE_CITY_RE = re.compile(
    rf"(?<![\w.,:/\-])(?:(?P<country>D|DE|A|AT|CH)-)?(?P<zip>\d{{4,5}})[ ](?P<city>{_CAP_WORD}"
    r"(?:[ ](?:am|an der|im|ob der|bei|in der|vorm|vor der)[ ][A-ZÄÖÜ][\w\-]+"
    # "Bad Liebenwerda", "Leipziger Land": a second word that ends the line or the clause
    r"|[ ][A-ZÄÖÜ][\w\-]+(?=[ \t]*(?:$|[\n,;)]|\.(?:\s|$))))?)"
)
_US_CITY_STATE_ZIP_RE = re.compile(
    r"(?<![\w])(?:[A-Z][\w.'’\-]+[ ]){0,2}[A-Z][\w.'’\-]+,[ ]?[A-Z]{2}[ ]\d{5}(?:-\d{4})?(?!\d)"
)
_UK_POSTCODE_RE = re.compile(r"(?<![\w])[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[ABD-HJLNP-UW-Z]{2}(?![\w])")
_CANADIAN_POSTCODE_RE = re.compile(r"(?<![\w])[A-Z]\d[A-Z][ ]?\d[A-Z]\d(?![\w])")
_POSTCODE_KEYWORD_RE = re.compile(
    r"\b(?:zip(?:\s?code)?|postal\s?code|post\s?code|plz|postleitzahl)\b\W{0,3}"
    r"(?:(?:is|ist|lautet)\s+)?(?P<zip>[A-Z0-9]{2,6}(?:[- ][A-Z0-9]{2,4})?)",
    re.IGNORECASE,
)
_CORNER_RE = re.compile(
    rf"(?<![\w])(?:the\s+)?corner\s+of\s+(?P<first>(?:[\w'’./\-]+[ ]){{0,5}}?[\w'’./\-]+)"
    rf"\s+and\s+(?P<second>(?:{_WORD}[ ]){{0,3}}{_WORD})",
    re.IGNORECASE,
)
# A form's address fields, one per line: "Straße: Junkplatz\nHausnummer: 95\nOrt: Oschatz".
_FORM_FIELD_RE = re.compile(
    r"^[ \t]*(?:straße|strasse|str\.|hausnummer|hausnr\.?|haus-nr\.|nr\.|plz(?:[ ]?/[ ]?ort)?|"
    r"postleitzahl|plz[ ]und[ ]ort|ort|wohnort|stadt|street|street[ ]address|house[ ]number|"
    r"city|town|post[ ]?code|zip(?:[ ]code)?)[ \t]*:[ \t]*(?P<value>[^\s,;][^\n,;]{0,59}?)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# Words that announce an address; what follows them up to the sentence's end is one.
_TRIGGER_RE = regex_starting_with(
    "adehilmoprstuvw",
    r"(?:\b(?:address|adresse|anschrift|lieferadresse|rechnungsadresse|postanschrift|"
    r"wohnanschrift|wohnort)\b(?:\s+(?:of|von|des|der)\s+[^\n.,:;?!]{1,40}?)?"
    r"(?:\s+(?:is|ist|lautet|lautet jetzt|is now|ist jetzt|with|to|mit|auf|zu))?"
    r"\s*[:\-]?|\b(?:lives?|lived|living|wohne|wohnt|wohnen|located|situated|moved|"
    r"umgezogen)\s+(?:at|on|in|to|an|in\s+der|im|am|auf|nach|in\s+die|an\s+die|zu)|"
    r"\bwohnhaft(?:\s+(?:in|in\s+der|im|am|an\s+der))?|"
    r"\b(?:send|sent|deliver|delivered|ship|shipped|return|mail|schicken|senden|liefern|"
    r"schickt|sendet|liefert)\b[\w\s]{0,25}?\b(?:to|an|nach)|\bmeet\s+(?:me|you|us)\s+at|"
    r"\boffices?\s+(?:is|are)\s+(?:at|located\s+at)|\bis\s+located\s+at|\bis\s+at|"
    r"\bit\s+is|\bhere\s+they\s+are:|\bvalidate\s+the\s+following\??|\bdrops?\s+you\s+"
    r"off\s+at|\bstation\s+is\s+on|\benter\s+on|\btaxi\s+to|\barrived\s+at|\bit'?s\s+in)"
    # "send it to:\n…"
    r"[ \t]*:?[ \t]*\n?[ \t]*",
    re.IGNORECASE,
)

# A comma or a line break (quote markers, indentation and a blank line allowed), or both.
# Also a middle dot, a bar or a dash between blanks: "Kaulplatz 10a · 31575 Kötzting".
_SEPARATOR = (
    r"(?=[ \t]*(?:[,\n·|]|[-–][ \t]))[ \t]*(?:,|·|\||[-–](?=[ \t]))?[ \t]*"
    r"(?:\n[ \t>?]*(?:,[ \t]*)?){0,3}"
)
_CONT_UNIT_RE = re.compile(rf"(?:{_SEPARATOR}|[ \t]+)(?i:{_UNIT})(?![\w])")
_POSTCODE = (
    r"(?:(?:[A-Z]{1,2}-)?\d{4,5}(?:-\d{3,4})?|\d{3}[ ]\d{2}|\d{2}-\d{3}"
    r"|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2})(?![\w])"
)
_CONT_POSTCODE_RE = re.compile(
    # On a line of its own a postcode may be as short as three digits.
    rf"(?:[ \t]+{_POSTCODE}|{_SEPARATOR}(?:{_POSTCODE}|\d{{3}}(?=[ \t]*(?:\n|$))))"
)
# A region written as a number on a line of its own (", 13").
_CONT_REGION_NUMBER_RE = re.compile(r"[ \t]*\n?[ \t]*,[ \t]?\d{1,3}(?=[ \t]*\n)")
_PARTICLE_WORDS = (
    r"(?:nan|de|del|da|do|di|du|la|le|des|van|von|am|an|im|ob|der|den|dos|das|na|nad|pod|u|"
    r"v|z|St|bei|sur|sous|en)"
    r"(?![\w])"
)
_PLACE_WORD = rf"(?:{_CAP_WORD}|\([^()\n]{{1,30}}\)|{_PARTICLE_WORDS})"
_LOWER_PLACE_WORD = r"(?:[^\W\d_][\w'’.\-∆]*|\([^()\n]{1,30}\))"
_CONT_PLACE_SEPARATED_RE = re.compile(
    rf"{_SEPARATOR}{_PLACE_WORD}(?:[ ]{_PLACE_WORD}){{0,4}}"
    r"(?:,?[ ]?(?:[A-Z]{2,3}|nan)(?![\w]))?"
)
_CONT_PLACE_SPACED_RE = re.compile(rf"[ \t]+{_PLACE_WORD}(?:[ ]{_PLACE_WORD}){{0,4}}")
_CONT_LOWER_PLACE_SEPARATED_RE = re.compile(
    rf"{_SEPARATOR}{_LOWER_PLACE_WORD}(?:[ ]{_LOWER_PLACE_WORD}){{0,4}}"
)
_CONT_LOWER_PLACE_SPACED_RE = re.compile(
    rf"[ \t]+{_LOWER_PLACE_WORD}(?:[ ]{_LOWER_PLACE_WORD}){{0,4}}"
)
# Places that are also in names.common_words() (there, to keep them from being names).
_PLACE_NAMES = frozenset(
    """berlin hamburg münchen köln frankfurt deutschland germany austria österreich schweiz
    switzerland wien zürich bremen dresden leipzig hannover stuttgart düsseldorf dortmund
    essen nürnberg london paris new york europe europa""".split()
)
# Words with which a message goes on after an address.
_MESSAGE_WORDS = frozenset(
    """danke bitte vielen viele liebe beste gruß grüße mfg lg vg hallo thanks thank please
    regards best kind cheers cordially sincerely ich i we wir""".split()
)
# Labels of the next field in a signature or a form: they end an address block.
_FIELD_LABELS = frozenset(
    """mobile mobil phone tel telefon fax desk office email e-mail mail website web www
    handy name address adresse iban bic konto account pid mrn az ik""".split()
)
# Words with which a letter goes on after an address block.
_LETTER_WORDS = frozenset(
    """sehr geehrte geehrter betreff betrifft entlassungsbericht arztbrief befundbericht
    überweisung diagnose diagnosen anamnese patient patientin""".split()
)
# "Rechnungsnummer", "Befund-Nr.", "Kunden-ID", "Nr."; not "NO" (Norway), "ID" (Idaho).
_ID_LABEL_RE = re.compile(r"(?:(?i:nummer|zeichen)|[-.](?i:nr|no|id)|^(?:Nr|No|nr|no))\.?:?$")
_LEFT_NUMBER_RE = re.compile(r"(?<![\w.,:/\-])\d{1,6}[ ](?:\d{1,6}[ ])?$")
# A flat number before the street, on its line or on the line above ("Flat 3\n12 High Street").
_LEFT_UNIT_RE = re.compile(rf"(?i:{_UNIT})(?:[ ]|[ \t]*,?[ \t]*\n[ \t]*)$")
_TERMINAL_RE = re.compile(r"\s*(?:$|[,;.!?)\n])")
_MONTHS_AND_UNITS = frozenset(
    """januar februar märz april mai juni juli august september oktober november dezember
    january february march may june july october december jan feb mar apr jun jul aug sep
    sept okt oct nov dez dec montag dienstag mittwoch donnerstag freitag samstag sonntag
    monday tuesday wednesday thursday friday saturday sunday euro eur cent dollar usd chf
    pfund stück stk mal prozent uhr minuten stunden tage wochen monate jahre jahr monat
    woche tag kg gramm liter meter km cm mm mb gb items pieces times minutes hours days
    weeks months years points punkte artikel seite seiten kapitel version level runde""".split()
)


def _middle_words_plausible(words: str, *, lowercase_text: bool) -> bool:
    tokens = words.split()
    for token in tokens:
        bare = token.strip(".'’-").lower()
        if bare in _MONTHS_AND_UNITS:
            return False
    first = tokens[0]
    if not lowercase_text and not (first[0].isupper() or first.lower() in _STREET_PREFIXES):
        return False
    return not all(token.lower() in common_words() for token in tokens)


def _line_start(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return re.fullmatch(r"[ \t>?*\-•]*", text[line_start:start]) is not None


def _after_trigger(text: str, start: int) -> bool:
    window = text[max(0, start - 60) : start]
    return any(m.end() == len(window) for m in _TRIGGER_RE.finditer(window))


def _core_spans(text: str) -> list[tuple[int, int]]:
    if not has_digit(text):
        return _core_spans_without_digits(text)
    lowercase_text = _all_lower(text)
    cores: list[tuple[int, int]] = []
    suffix_street = _NUMBER_AFTER_SUFFIX_REVERSED_RE.search(text[::-1]) is not None
    for regex in (
        *([_SUFFIX_STREET_RE] if suffix_street else []),
        _SEPARATE_SUFFIX_STREET_RE,
        _TYPE_STREET_RE,
        _PREFIX_STREET_RE,
        _NUMBER_FIRST_PREFIX_STREET_RE,
        _BOX_RE,
        _US_CITY_STATE_ZIP_RE,
        _UK_POSTCODE_RE,
        _CANADIAN_POSTCODE_RE,
    ):
        cores.extend(m.span() for m in regex.finditer(text))
    for match in _GERMAN_PREPOSITION_STREET_RE.finditer(text):
        words = match.group(0)[: match.start("number") - match.start()]
        if not any(w.strip(".").lower() in _MONTHS_AND_UNITS for w in words.split()):
            cores.append(match.span())
    for match in _TYPE_STREET_NO_NUMBER_RE.finditer(text):
        if _after_trigger(text, match.start()):
            cores.append(match.span())
    for match in _NUMBER_NAME_NUMBER_RE.finditer(text):
        if not _middle_words_plausible(match.group("name"), lowercase_text=lowercase_text):
            continue
        if (
            _line_start(text, match.start())
            or _after_trigger(text, match.start())
            or _CONT_UNIT_RE.match(text, match.end())
            or _CONT_PLACE_SEPARATED_RE.match(text, match.end())
        ):
            cores.append(match.span())
    for match in _GERMAN_POSTCODE_CITY_RE.finditer(text):
        city = match.group("city").rstrip(".")
        # Four digits (Austria, Switzerland: "8010 Graz") are a postcode after a country
        # prefix, or before a town that ends its line or clause, and no year.
        if len(match.group("zip")) == 4 and not match.group("country"):
            if _YEAR_LIKE_RE.fullmatch(match.group("zip")) or not re.match(
                r"[ \t]*(?:$|[\n,;)])", text[match.start("city") + len(city) :]
            ):
                continue
        if (
            match.group("zip").endswith("000")
            or city.lower() in _MONTHS_AND_UNITS
            or (city.lower() in common_words() and city.lower() not in _PLACE_NAMES)
        ):
            continue
        cores.append((match.start(), match.start("city") + len(city)))
    for match in _POSTCODE_KEYWORD_RE.finditer(text):
        if any(ch.isdigit() for ch in match.group("zip")):
            cores.append(match.span("zip"))
    for match in _UNIT_RE.finditer(text):
        # A flat number alone is no address; beside a street or a postcode it is part of one.
        if _CONT_POSTCODE_RE.match(text, match.end()) or _NUMBER_NAME_NUMBER_RE.match(
            text, match.end() + 1
        ):
            cores.append(match.span())
    for match in _CORNER_RE.finditer(text):
        if any(ch.isdigit() for ch in match.group(0)) or match.group("second")[0].isupper():
            cores.append(match.span())
    cores.extend(_triggered_spans(text))
    cores.extend(match.span("value") for match in _FORM_FIELD_RE.finditer(text))
    return cores


def _core_spans_without_digits(text: str) -> list[tuple[int, int]]:
    """_core_spans of a text without a digit (most chat messages): only the detectors that
    can find an address without a house number, postcode or box number run, in the same
    order; every other one needs a digit to match or to be kept."""
    cores = [m.span() for m in _SHIP_RE.finditer(text)]  # "USNS Cobb": a ship, no number
    for match in _TYPE_STREET_NO_NUMBER_RE.finditer(text):
        if _after_trigger(text, match.start()):
            cores.append(match.span())
    for match in _CORNER_RE.finditer(text):
        if match.group("second")[0].isupper():
            cores.append(match.span())
    cores.extend(match.span("value") for match in _FORM_FIELD_RE.finditer(text))
    return cores


def _triggered_spans(text: str) -> list[tuple[int, int]]:
    """What follows an announcing word, if it looks like an address (has a number in it)."""
    spans = []
    lowercase_text = _all_lower(text)
    for match in _TRIGGER_RE.finditer(text):
        words = list(re.finditer(r"[^\s,]+", text[match.end() : match.end() + 160]))
        kept = []
        for word in words:
            bare = word.group(0).strip(".?!;:()\"'")
            # A lower-case word (other than a particle) or a sentence's end closes the address.
            if re.fullmatch(r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?", bare):
                break  # a time of day: "is at 14:30"
            if not bare or (
                not lowercase_text and bare[0].islower() and bare.lower() not in _PARTICLES
            ):
                break
            if lowercase_text and bare in _STOP_WORDS and bare not in _PARTICLES:
                break
            seen_number = any(ch.isdigit() for w in kept for ch in w.group(0))
            if seen_number and bare.lower() in _MESSAGE_WORDS:
                break  # "… 51147 Köln\nDanke!": the message goes on
            if _ID_LABEL_RE.search(bare) or bare.lower() in _LETTER_WORDS:
                break  # "… 79576 Neustrelitz\nRechnungsnummer …": so does the letter
            if seen_number and bare in _STOP_WORDS and bare.lower() not in _PARTICLES:
                break  # "… 72176 Ansbach\n\nMit freundlichen Grüßen"
            kept.append(word)
            if re.search(r"[?!]$|\.$(?<!\b[A-Za-z]\.)", word.group(0)) and not re.search(
                r"(?i)\b(?:apt|st|str|u|ul|av|avda|dr|rd)\.$", word.group(0)
            ):
                break
            if len(kept) == 10:
                break
        # "wohne in der Musterstraße …": the article belongs to the sentence.
        while kept and kept[0].group(0).lower() in ("der", "die", "dem", "den", "the"):
            kept.pop(0)
        # "… Baumring 95, der sich …": a particle does not end an address.
        while len(kept) > 1 and kept[-1].group(0).lower() in _PARTICLES:
            kept.pop()
        while kept and not any(ch.isdigit() for ch in kept[-1].group(0)) and len(kept) > 1:
            # Keep trailing words only if a number came before them (street, then city).
            if any(ch.isdigit() for w in kept for ch in w.group(0)):
                break
            kept.pop()
        has_word = any(re.search(r"[^\W\d_]{2,}", w.group(0)) for w in kept)
        if kept and has_word and any(ch.isdigit() for w in kept for ch in w.group(0)):
            spans.append((match.end() + kept[0].start(), match.end() + kept[-1].end()))
    return spans


_PARTICLES = frozenset(
    """de del della di da do dos das du des la le van von der den ten ter am an im ob na nad
    u z y e al el bin ul. ul al. the corner of and apt. apt suite unit box st. rue via rua nan
    trg""".split()
)


@functools.cache
def _stop_words() -> frozenset[str]:
    # spaCy takes seconds to import: loaded on first use.
    from spacy.lang.de.stop_words import STOP_WORDS as GERMAN_STOP_WORDS
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS

    return frozenset(GERMAN_STOP_WORDS | ENGLISH_STOP_WORDS)


class _StopWords:
    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in _stop_words()


_STOP_WORDS = _StopWords()


def _all_lower(text: str) -> bool:
    return not any(map(str.isupper, text))


def _grow(text: str, start: int, end: int) -> tuple[int, int]:
    left = text[max(0, start - 16) : start]
    for regex in (_LEFT_UNIT_RE, _LEFT_NUMBER_RE):
        match = regex.search(left)
        if match:
            start -= len(left) - match.start()
            left = text[max(0, start - 16) : start]
    lowercase_text = _all_lower(text)
    separated_place = _CONT_LOWER_PLACE_SEPARATED_RE if lowercase_text else _CONT_PLACE_SEPARATED_RE
    spaced_place = _CONT_LOWER_PLACE_SPACED_RE if lowercase_text else _CONT_PLACE_SPACED_RE
    previous_was_unit_or_code = False
    for _ in range(10):
        for regex in (
            _CONT_UNIT_RE,
            _CONT_POSTCODE_RE,
            _CONT_REGION_NUMBER_RE,
            separated_place,
            spaced_place,
        ):
            match = regex.match(text, end)
            if not match or match.end() == end:
                continue
            if regex in (separated_place, spaced_place):
                after_postcode = regex is spaced_place and previous_was_unit_or_code
                if not _place_like(text, match.start(), match.end(), town=after_postcode):
                    continue
                # After a plain space, a place belongs to the address only after a flat
                # number or postcode, or when a flat number or postcode follows it.
                if regex is spaced_place and not (
                    previous_was_unit_or_code
                    or _CONT_UNIT_RE.match(text, match.end())
                    or _CONT_POSTCODE_RE.match(text, match.end())
                ):
                    continue
            end = match.end()
            previous_was_unit_or_code = regex in (_CONT_UNIT_RE, _CONT_POSTCODE_RE)
            break
        else:
            break
    return start, end


def _place_like(text: str, start: int, end: int, *, town: bool = False) -> bool:
    words = re.findall(r"[^\W\d_][\w'’\-]*", text[start:end])
    if not words:
        return False
    first = words[0].lower()
    if first in _FIELD_LABELS or first in _MESSAGE_WORDS or first in _LETTER_WORDS:
        return False
    # "Rechnungsnummer …", "Befund-Nr. …" on the next line: the letter goes on with an id.
    if any(_ID_LABEL_RE.search(word) for word in words):
        return False
    # "Danke!" on the line after an address is the message going on, not a city.
    # A word after a postcode on its line is the town, even one that is also a common
    # or a stop word ("93597 Waren").
    if town:
        return not re.match(r"[ \t]*:", text[end:])
    if first in common_words() and first not in _PLACE_NAMES and not words[0].isupper():
        return False
    # A stop word starts a sentence, not a place; "ON", "IN" are a state's code.
    if first in _STOP_WORDS and first not in _PARTICLES and not words[0].isupper():
        return False
    # "Mobile: …" is the next field, not a city.
    return not re.match(r"[ \t]*:", text[end:])


def address_spans(text: str) -> list[Span]:
    spans = []
    for core_start, core_end in _core_spans(text):
        start, end = _grow(text, core_start, core_end)
        while end > start and text[end - 1] in " \t\n,>?":
            end -= 1
        # A sentence's full stop after the city is no part of the address ("u." and
        # "Str." are).
        if text[end - 1 : end] == "." and re.search(r"\w{2,}\.$", text[start:end]):
            if not re.search(
                r"(?i)(?:str|\b(?:apt|ave|blvd|st|dr|rd|nr|ul|av|avda))\.$", text[start:end]
            ):
                end -= 1
        spans.append((start, end, ADDRESS))
    return spans
