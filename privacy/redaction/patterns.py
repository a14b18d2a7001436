"""Personal data recognisable by its form: emails, phones, IBANs, cards, ids, dates of birth.

Each detector returns `(start, end, label)` tuples; privacy/redaction/__init__.py merges them.
Every pattern is validated beyond the regex (IBAN checksum, Luhn, digit counts,
date and amount shapes), because a support chat is full of numbers that are not
personal data: prices, quantities, dates, times, article numbers.
"""

import functools
import re
from collections.abc import Iterable, Sequence

Span = tuple[int, int, str]

EMAIL = "EMAIL"
PHONE = "PHONE"
IBAN = "IBAN"
CREDIT_CARD = "CREDIT_CARD"
ID = "ID"
DATE_OF_BIRTH = "DATE_OF_BIRTH"


def has_digit(text: str) -> bool:
    """Whether text has a digit: most chat messages have none, and then nothing that needs
    one (a phone, an IBAN, a card, an id, a date, a house number, a postcode) is looked for.
    str.isdigit covers every character a regex's \\d matches, and the superscripts that
    `id_spans` counts besides."""
    return any(map(str.isdigit, text))


def regex_starting_with(first_characters: str, pattern: str, flags: int = 0) -> re.Pattern:
    """pattern, compiled to be tried only at the text's start and where one of
    first_characters stands: the engine skips every other position at once instead of
    trying each branch there (several times faster on a chat message), with the same
    matches. first_characters must hold the first character of every branch that can match
    after the start (in any case, with re.IGNORECASE); tests/privacy/redaction/
    test_redaction_speed.py checks it."""
    return re.compile(rf"(?:\A|(?=[{first_characters}]))(?:{pattern})", flags)


_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])", re.UNICODE
)

# --- IBAN -------------------------------------------------------------------------------------

# Lengths per country (ISO 13616 registry); unknown countries fall back to 15–34.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
# Greedy on purpose (it may run into the next word): the checksum decides where it ends.
_IBAN_RE = re.compile(r"(?<![^\W_])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}", re.IGNORECASE)


def _iban_valid(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def iban_spans(text: str) -> list[Span]:
    spans = []
    for match in _IBAN_RE.finditer(text):
        raw = match.group(0)
        positions = [i for i, ch in enumerate(raw) if ch != " "]
        compact = raw.replace(" ", "").upper()
        expected = _IBAN_LENGTHS.get(compact[:2])
        lengths = [expected] if expected else range(min(len(compact), 34), 14, -1)
        for length in lengths:
            if length > len(compact):
                continue
            # The IBAN must end at a boundary, not inside a longer token.
            end = match.start() + positions[length - 1] + 1
            if end < len(text) and text[end].isalnum():
                continue
            if _iban_valid(compact[:length]):
                spans.append((match.start(), end, IBAN))
                break
    return spans


# --- credit cards -----------------------------------------------------------------------------

_CARD_RE = re.compile(r"(?<![\w+/.,-])\d(?:[ -]?\d){11,18}(?![\w]|[.,]\d)")
_CARD_CONTEXT_RE = re.compile(
    r"\b(?:card|cc|visa|mastercard|amex|maestro|karte|kreditkarte|kartennummer|"
    r"credit|debit|kk)\b",
    re.IGNORECASE,
)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def credit_card_spans(text: str) -> list[Span]:
    spans = []
    for match in _CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if not 12 <= len(digits) <= 19 or len(set(digits)) == 1 or not _luhn_valid(digits):
            continue
        # Card numbers never start with 0 and are rarely 12 digits; those (and
        # phone numbers that happen to pass Luhn) need a word that says "card".
        # The tail of an IBAN whose checksum failed is no card number either.
        if re.search(r"[A-Z]{2}\d{2}[ ]?$", text[max(0, match.start() - 5) : match.start()]):
            continue
        if digits[0] == "0" or len(digits) == 12:
            before = text[max(0, match.start() - 40) : match.start()]
            if not _CARD_CONTEXT_RE.search(before):
                continue
        spans.append((match.start(), match.end(), CREDIT_CARD))
    return spans


# --- phone numbers ----------------------------------------------------------------------------

# Digit groups joined by one separator (space, dot, dash, slash), an optional
# international prefix, bracketed area codes and the German "(0)", an extension.
# Possessive quantifiers keep long digit runs from backtracking.
_PHONE_RE = re.compile(
    r"""
    (?<![\w+@/.:\-])(?<!\d,)
    (?:\+|\b00)?
    (?:\(\d{1,5}\)|\d++)
    (?:
        [ ]?\(0\)[ ]?\d++
      | (?:[ ]?[./\-][ ]?|[ ])\(\d{1,5}\)[ ]?\d++
      | (?:[ ]?[./\-][ ]?|[ ])\d++
      | \d++
    ){0,8}
    (?:[ ]?(?:x|ext\.?|Durchwahl|DW)[ ]?\d{1,6})?
    (?![\w@]|[.,:]\d)
    """,
    re.VERBOSE | re.IGNORECASE,
)
_PHONE_CONTEXT_BEFORE_RE = re.compile(
    r"\b(?:tel|telefon\w*|phone|ph|mobile?|mobil\w*|handy\w*|cell\w*|fax|call\w*|anruf\w*|"
    r"ruf\w*|rückruf\w*|whatsapp|sms|text|desk|office|büro|zentrale|erreich\w*|reach\w*|"
    r"answering|messages?|nachricht\w*|durchwahl|festnetz|hotline|registered|dial\w*|"
    r"wähl\w*|nummer|number)\b[^\n\d]{0,25}$",
    re.IGNORECASE,
)
_PHONE_CONTEXT_AFTER_RE = re.compile(
    r"^[ \-]{0,2}\(?(?:office|fax|mobile|mobil|cell|home|work|tel|privat|büro|handy)\b",
    re.IGNORECASE,
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DATE_SHAPES_RE = re.compile(
    rf"\b(?:{_DAY}[./-]{_MONTH}|{_MONTH}/{_DAY})[./-](?:\d{{4}}|\d{{2}})\b"
    rf"|\b(?:19|20)\d\d[./-]{_MONTH}[./-]{_DAY}\b|^{_DAY}\.{_MONTH}\.?$"
)
_UNIT_AFTER_RE = re.compile(
    r"^\s?(?:€|eur\b|euro\b|\$|usd\b|chf\b|£|gbp\b|%|kg\b|g\b|km\b|m\b|cm\b|mm\b|l\b|ml\b|"
    r"stück\b|stk\b|pcs\b|x\b|mal\b|uhr\b|h\b|min\b|sek\b|punkte\b|points\b|tage?n?\b|"
    r"days?\b|jahre?n?\b|years?\b|items?\b|artikel\b|mb\b|gb\b|kb\b|tb\b)",
    re.IGNORECASE,
)
_CURRENCY_BEFORE_RE = re.compile(r"(?:€|\$|£|eur|usd|chf|gbp)\s?$", re.IGNORECASE)
_POSTCODE_BEFORE_RE = re.compile(
    r"\b(?:zip|zip\s?code|postal\s?code|postcode|plz|postleitzahl)\b\W{0,3}(?:is\s+|ist\s+)?$",
    re.IGNORECASE,
)
_US_PHONE_RE = re.compile(r"^(?:\+?1[ .\-]?)?\(?[2-9]\d{2}\)?[ .\-]?\d{3}[ .\-]\d{4}")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_RANGE_RE = re.compile(r"\d{1,4}[-/]\d{1,4}")
# Product, article and model numbers identify a thing, not a person.
_PRODUCT_BEFORE_RE = re.compile(
    r"(?i)\b(?:artikel(?:nummer|nr\.?)?|art\.?[-\s]?nr\.?|sku|ean|gtin|isbn|modell(?:nummer)?|"
    r"model(?:\s+number)?|typ|type|version|produkt(?:nummer)?|product(?:\s+number)?|item)"
    r"\W{0,3}$"
)


def _phone_accepted(text: str, start: int, end: int) -> bool:
    candidate = text[start:end]
    main = re.split(r"(?i)\s?(?:x|ext\.?|durchwahl|dw)\s?\d+$", candidate)[0]
    digits = re.sub(r"\D", "", main)
    if not 6 <= len(digits) <= 15:
        return False
    if _DATE_SHAPES_RE.search(main):
        return False
    if _UNIT_AFTER_RE.match(text[end : end + 8]) or _CURRENCY_BEFORE_RE.search(
        text[max(0, start - 5) : start]
    ):
        return False
    groups = re.findall(r"\d+", main)
    if len(groups) > 1 and all(_YEAR_RE.fullmatch(group) for group in groups):
        return False
    # 1.234.567 is an amount, 192.168.0.1 an IP address, not phone numbers.
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+|\d{1,3}(?:\.\d{1,3}){3}", main):
        return False
    if _POSTCODE_BEFORE_RE.search(text[max(0, start - 20) : start]):
        return False
    if _number_range(main) or _PRODUCT_BEFORE_RE.search(text[max(0, start - 25) : start]):
        return False
    context = bool(
        _PHONE_CONTEXT_BEFORE_RE.search(text[max(0, start - 40) : start])
        or _PHONE_CONTEXT_AFTER_RE.match(text[end : end + 12])
    )
    if main.startswith("+") or main.startswith("00"):
        return len(digits) >= 8 or context
    if main.lstrip("(").startswith("0"):
        return len(digits) >= 7 or context
    if _US_PHONE_RE.match(main):
        return True
    separated = len(groups) > 1 or main.startswith("(")
    # "17151 2450 Crown St": numbers before a word are a house number or a postcode.
    if separated and len(digits) >= 8 and not re.match(r" ?[^\W\d_]", text[end : end + 2]):
        return True
    return context and (separated or len(digits) >= 9)


# An extension alone, after the number it belongs to: "Fax: -12346", "Durchwahl 12346".
_EXTENSION_RE = re.compile(
    r"\b(?:durchwahl|dw|fax|tel\.?|telefon)[ \t]*:?[ \t]*(?:dw[ \t]*|-[ \t]?)(?P<number>\d{2,6})\b"
    r"|\b(?:durchwahl|dw)[ \t]*:?[ \t]*(?P<bare>\d{2,6})\b",
    re.IGNORECASE,
)


def phone_spans(text: str) -> list[Span]:
    spans = [
        (match.start(), match.end(), PHONE)
        for match in _PHONE_RE.finditer(text)
        if _phone_accepted(text, match.start(), match.end())
    ]
    for match in _EXTENSION_RE.finditer(text):
        group = "number" if match.group("number") else "bare"
        spans.append((match.start(group), match.end(group), PHONE))
    return spans


def email_spans(text: str) -> list[Span]:
    if "@" not in text:
        return []
    return [(m.start(), m.end(), EMAIL) for m in _EMAIL_RE.finditer(text)]


# --- customer, order and document numbers -----------------------------------------------------

# The number after a keyword: optional letter prefix, at least 4 digits in all.
# "12 345678 A 123" (German pension insurance number): a letter group between digit groups.
_ID_VALUE = (
    r"(?<![^\W\d_])(?P<id>(?:[A-Z]{1,4}[- /]?)?\d[\dA-Z]*"
    r"(?:[-/.][\dA-Z]+|[ ]\d+|[ ][A-Z](?=[ ]?\d)[ ]?\d+)*)"
)
# A file reference: "12 O 345/21", "kl-12345", "3 K 12/24".
_CASE_VALUE = r"(?P<id>(?:\d{1,3}[ ][A-Z]{1,3}[ ])?[\w]{1,4}(?:[-/ ]?\d+)+(?:/\d{2,4})?)"
_ID_GLUE = (
    # "no." and "nr." end in a dot, after which there is no word boundary.
    r"(?:\s*(?:[:#=]|\b(?:ist|is|lautet|lautete|are|sind|number|nummer|no|nr|id)\b\.?)\s*)"
    r"{0,3}\s*"
)
DEFAULT_ID_PATTERNS: tuple[str, ...] = (
    # German: Bestellnummer 12345678, Kundennummer K-1234567, Steuer-ID: 12 345 678 901 …
    r"(?i)\b(?:bestell|auftrags|kunden|rechnungs|vertrags|mitglieds|versicherten|"
    r"versicherungs|kranken(?:versicherungs|kassen)?|policen|versicherungsschein|schaden|"
    r"sozialversicherungs|renten(?:versicherungs)?|steuer(?:identifikations)?|"
    r"personalausweis|ausweis|reisepass|pass|führerschein|konto|sendungs|vorgangs|"
    r"referenz|buchungs|ticket|fall|kundenkonto|paket|tracking|versand|"
    # a clinic's and an office's numbers: "Pat.-Nr.", "Eingangsnummer", "Befund-Nr."
    r"patienten|pat\.|aufnahme|aufn\.|eingangs|einsende|befund|labor|untersuchungs|"
    r"auftrag|journal|beleg|lieferschein|mandats|personal|mitarbeiter|matrikel|zähler|"
    r"kassen|akten|geschäfts|vers\.|versicherten-?)"
    # "Aufnahmezahl": Austrian for "-nummer"
    r"[-\s]?(?:nummer|nr\.?|-?id|-?no\.?|zahl)(?!\w)" + _ID_GLUE + _ID_VALUE,
    # "Kd.-Nr. 556677", "KdNr: 556677".
    r"(?i)\b(?:kd|kdn|kto|re|best|vers|sv|kv|tgb|aufn|pat|patient|lfd|e)\.?[-\s]?nr\.?(?!\w)"
    + _ID_GLUE
    + _ID_VALUE,
    # "PID 0012345678", "Az.: 12 O 345/21", "Unser Zeichen: kl-12345", "Aktenzeichen 3 K 12/24".
    r"(?i)(?:\b(?:pid|mrn|az|aktenzeichen|geschäftszeichen|kassenzeichen)\b\.?|"
    r"\b(?:unser|ihr|mein)\s+zeichen\b)" + _ID_GLUE + _CASE_VALUE,
    # "Bestellung 4711-2026", "Rechnung Nr. 2024-00815", "Police A-778812": five digits in
    # a row, or digit groups joined by a dash or slash (not a year: "Bestellung 2026").
    r"(?i)\b(?:bestellung|auftrag|rechnung|buchung|vertrag|police|versicherungsschein)"
    r"\s*(?:[:#]|nr\.?|nummer)?\s*"
    r"(?P<id>[A-Z]{0,4}-?(?:\d{5,}[\dA-Z-]*|\d{3,}[-/]\d{3,}[\dA-Z-]*))",
    # English: order #A-123456, customer number 1234567, SSN: 123-45-6789 …
    r"(?i)\b(?:order|customer|account|invoice|booking|reservation|contract|membership|"
    r"member|reference|ref\.?|ticket|tracking|policy|claim|case|insurance|passport|driver'?s?\s+"
    r"licen[cs]e|licen[cs]e|social\s+security|ssn|tax|national\s+insurance|nin|id|"
    r"identity\s+card|personal\s+id)\b" + _ID_GLUE + _ID_VALUE,
    # A US social security number has a shape of its own.
    r"\b(?P<id>(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4})\b",
)


@functools.cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


def id_spans(text: str, *, patterns: Sequence[str]) -> list[Span]:
    spans = []
    for pattern in _compiled(tuple(patterns)):
        for match in pattern.finditer(text):
            group = "id" if "id" in pattern.groupindex else 0
            start, end = match.span(group)
            value = match.group(group)
            if start < 0 or sum(ch.isdigit() for ch in value) < 4:
                continue
            # A trailing dot or dash ends a sentence, not the number.
            while end > start and text[end - 1] in ".-/ ":
                end -= 1
            if _DATE_SHAPES_RE.fullmatch(text[start:end]):
                continue
            spans.append((start, end, ID))
    return spans


# --- codes without a keyword -------------------------------------------------------------------

# A token of letters and digits, its parts joined by a dash, slash, dot or underscore:
# "BX-77342291", "4711-2026", "A123456789", "H/2021/12345". Whether it is an id is decided
# by its shape (`_code_accepted`), since an agent writes "die Erstattung für BX-77342291"
# without saying "Bestellnummer".
_CODE_RE = re.compile(
    r"(?<![\w@+\-/.])(?<![\w][.,])(?=[\w\-/.]*\d)"
    r"[^\W_]+(?:[\-/._][^\W_]+)*(?![\w@]|[\-/.,][^\W_])"
)
_FIVE_DIGITS_RE = re.compile(r"(?:\d\D*){5}")
# Amounts and decimals ("1.299,00", "157.3000"), IP addresses (a server's, here).
_NUMBER_SHAPES_RE = re.compile(
    r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+[.,]\d+|\d{1,3}(?:\.\d{1,3}){3}"
)
# Sizes, resolutions and quantities written with their unit: "10000mAh", "1920x1080".
_MEASURE_RE = re.compile(
    r"(?i)\d+(?:[.,]\d+)?(?:mah|wh|kwh|mwh|w|kw|v|mv|hz|khz|mhz|ghz|mb|gb|tb|kb|mbit|gbit|"
    r"mm|cm|km|m|g|kg|mg|ml|l|px|dpi|ppi|fps|p|k|mp|rpm|ms|s|min|h)"
    r"|\d+[x×]\d+(?:[x×]\d+)?"
)


# What machines name things with: UUIDs, hashes and checksums ("de-e771ac6f849a", a model's
# version), ISO timestamps ("2026-03-12T14:30"). Logs are full of them, and a person's order
# number is not written in hex.
_MACHINE_ID_RE = re.compile(
    r"(?:19|20)\d\d-\d\d-\d\dT\d\d"
    r"|(?i:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"|(?:[a-z]{1,3}-)?(?=(?:[0-9]*[a-f]){2})[0-9a-f]{12,}"
)


_TIME_OR_DECIMAL_RE = re.compile(r"\d{1,2}[.:]\d{2}|\d+[.,]\d+")


def _number_range(code: str) -> bool:
    """ "Seiten 306-312", "erbaut 1737-1738", "870-1970", "1787/90"; not "4711-2026", not
    "0201-0345" (a phone number)."""
    if not _RANGE_RE.fullmatch(code) or code.startswith("0"):
        return False
    first_group, second_group = re.split(r"[-/]", code)
    first, second = int(first_group), int(second_group)
    if first < second and (_YEAR_RE.fullmatch(second_group) or second < 2 * first + 100):
        return True
    # the second year shortened
    return len(first_group) == 4 and len(second_group) == 2 and second > first % 100


def _code_accepted(text: str, start: int, end: int) -> bool:
    code = text[start:end]
    digits = sum(ch.isdigit() for ch in code)
    letters = sum(ch.isalpha() for ch in code)
    if digits < 5:
        return False
    if (
        _DATE_SHAPES_RE.fullmatch(code)
        or _NUMBER_SHAPES_RE.fullmatch(code)
        or _MACHINE_ID_RE.fullmatch(code)
        or _MEASURE_RE.fullmatch(code)
    ):
        return False
    groups = re.findall(r"[^\W_]+", code)
    # "2020-2024", "1990/91": years, not a number of anything.
    if all(_YEAR_RE.fullmatch(group) or len(group) <= 2 for group in groups):
        return False
    if _UNIT_AFTER_RE.match(text[end : end + 8]) or _CURRENCY_BEFORE_RE.search(
        text[max(0, start - 5) : start]
    ):
        return False
    if _PRODUCT_BEFORE_RE.search(text[max(0, start - 25) : start]):
        return False
    if _number_range(code):
        return False
    # "12.03.2026-14.03.2026", "14.30-15.30": a range of dates or times
    parts = code.split("-")
    if len(parts) > 1 and all(
        _DATE_SHAPES_RE.fullmatch(part) or _TIME_OR_DECIMAL_RE.fullmatch(part) for part in parts
    ):
        return False
    if letters:
        # "BX-77342291", "INV-2026-0042"; not "DDR4-3200": model names have few and
        # short digit runs.
        return digits >= 7 or max(len(run) for run in re.findall(r"\d+", code)) >= 5
    # Digits alone are a count or an amount up to six digits; from seven, or split into
    # groups ("4711-2026"), they are a number of something.
    return len(groups) > 1 or digits >= 7


def code_spans(text: str) -> list[Span]:
    """Ids written without a keyword, recognised by their shape alone. The caller drops
    those that overlap a phone number, an IBAN or an address, which say more."""
    if not _FIVE_DIGITS_RE.search(text):  # most chat messages: nothing to look at
        return []
    return [
        (match.start(), match.end(), ID)
        for match in _CODE_RE.finditer(text)
        if _code_accepted(text, match.start(), match.end())
    ]


# --- dates of birth ---------------------------------------------------------------------------

_MONTHS = (
    r"(?:jan(?:uar|uary)?|jän(?:ner)?|feb(?:ruar|ruary)?|mär(?:z)?|maerz|mar(?:ch)?|"
    r"apr(?:il)?|mai|may|jun[ei]?|jul[iy]?|aug(?:ust)?|sep(?:t(?:ember)?)?|okt(?:ober)?|"
    r"oct(?:ober)?|nov(?:ember)?|dez(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2}"
    rf"|\d{{1,2}}(?:\.|st|nd|rd|th)?\s*(?:of\s+)?{_MONTHS}\s*,?\s*\d{{4}}"
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s*\d{{4}})"
)
_DOB_RE = re.compile(
    # "geb." ends in a dot, after which there is no word boundary; "(*12.03.1961)" is the
    # birth mark of German letters.
    r"(?:\b(?:geboren|geburtsdatum|geburtstag|date\s+of\s+birth|birth\s*date|birthday|born)\b"
    r"|\bgeb\.(?:-datum\b|-dat\.|\s?dat(?:um|\.))?|\bgeb\b|\bd\.?o\.?b\b\.?"
    # not a bullet: "(*12.03.1961)", "Erika Muster, * 12.03.1961"
    r"|\(\*|(?<=[^\W\d_][ ])\*(?=[ ]?\d)|(?<=,[ ])\*(?=[ ]?\d))"
    r"[^\n\d]{0,20}?"
    rf"(?P<date>{_DATE})(?!\d)",
    re.IGNORECASE,
)


# "am 03.04.1985 geboren": the keyword after the date.
_DOB_AFTER_RE = re.compile(rf"(?<!\d)(?P<date>{_DATE})\s+(?:geboren|born)\b", re.IGNORECASE)


# What every match of _DOB_AFTER_RE holds; found far faster than a date at every digit.
_BORN_RE = re.compile(r"geboren|born", re.IGNORECASE)


def date_of_birth_spans(text: str) -> list[Span]:
    regexes = (_DOB_RE, _DOB_AFTER_RE) if _BORN_RE.search(text) else (_DOB_RE,)
    return [
        (m.start("date"), m.end("date"), DATE_OF_BIRTH)
        for regex in regexes
        for m in regex.finditer(text)
    ]


def pattern_spans(text: str, *, id_patterns: Iterable[str]) -> list[Span]:
    """All form-based detections; overlaps are resolved by the caller."""
    if not has_digit(text):  # an e-mail address is the only one without a digit
        return email_spans(text)
    return [
        *email_spans(text),
        *iban_spans(text),
        *credit_card_spans(text),
        *phone_spans(text),
        *id_spans(text, patterns=tuple(id_patterns)),
        *date_of_birth_spans(text),
    ]
