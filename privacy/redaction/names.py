"""Person names in German and English chat messages.

Evidence, strongest first: the subject's known name; a phrase that introduces a
name ("mein Name ist …", "my name is …", "Herr …", "Mr. …", a signature after
"Viele Grüße"); a first name from Faker's name lists (loaded once per process,
lazily, from the installed package) together with the capitalised words beside
it; in English text, capitalised words around verbs that take a person ("says
…", "… lives at"). German capitalises every noun, so a capitalised word alone is
never enough: it must be a known first name that is not also a common word
("Paket", "Rechnung" and "Frage" are in no name list; "Rose", "Mark", "Will" are,
and need more evidence).
"""

import functools
import importlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from privacy.redaction import lexicon_de
from privacy.redaction.patterns import regex_starting_with
from privacy.redaction.word_lists import word_list_read

logger = logging.getLogger(__name__)

NAME = "NAME"
Span = tuple[int, int, str]

# Locales whose names customers of a German-speaking shop commonly carry. Latin
# script only: the detector works on capitalisation.
DEFAULT_NAME_LOCALES: tuple[str, ...] = (
    "de_DE", "de_AT", "de_CH", "en_US", "en_GB", "en_IE", "fr_FR", "it_IT", "es_ES",
    "nl_NL", "pl_PL", "tr_TR", "hr_HR", "cs_CZ", "pt_PT", "da_DK", "sv_SE", "fi_FI", "hu_HU",
)  # fmt: skip

# Words people and shops write capitalised that are also in some name list, or
# that a greeting or an introduction is followed by without being a name.
_COMMON_EXTRA = """
paket pakete rechnung rechnungen frage fragen bestellung bestellungen lieferung lieferungen
kunde kundin kunden konto team service support kundenservice kundendienst hilfe danke dank
gruß grüße grüßen bitte problem probleme ware waren artikel retoure rücksendung geld karte
kasse post mail email e-mail nachricht termin zahlung zahlungen überweisung lastschrift
rückerstattung gutschein code passwort login account app website seite shop bestellnummer
kundennummer adresse anschrift liefertermin versand sendung preis preise rabatt angebot
vertrag kündigung abo abonnement mitglied student studentin rentner rentnerin neukunde
stammkunde besitzer inhaber mitarbeiter mitarbeiterin chef chefin leute zusammen allerseits
herr frau herren damen familie firma gmbh ag kg ltd inc co montag dienstag mittwoch
donnerstag freitag samstag sonntag januar februar märz april mai juni juli august september
oktober november dezember morgen abend tag woche monat jahr heute gestern uhr minute stunde
ja nein ok okay hallo hi hey moin servus tschüss ciao bye thanks thank sorry please yes no
hello dear team support everyone all there guys folks sir madam customer customers order
orders invoice parcel package delivery refund account password card bank payment question
problem issue help mr mrs ms miss dr prof monday tuesday wednesday thursday friday saturday
sunday january february march june july october december christmas easter weihnachten
ostern iphone ipad android windows mac macbook galaxy pixel playstation xbox nintendo
amazon paypal klarna dhl hermes ups fedex dpd gls visa mastercard google apple microsoft
samsung sony whatsapp telegram facebook instagram berlin hamburg münchen köln frankfurt
deutschland germany austria österreich schweiz switzerland europe europa english deutsch
german englisch französisch french spanish polish turkish italian new york london paris
wien zürich bremen dresden leipzig hannover stuttgart düsseldorf dortmund essen nürnberg
kai rosa rose heide ernst franz frank mark max will may june april summer autumn winter
sommer herbst frühling hope faith joy grace dawn guy bill art jack chase grant hunter
angel destiny star sunny sky page rich young king brown white green black gray grey
koch bauer fischer kaiser könig lange klein braun weiß schwarz wolf fuchs vogel hahn berg
stein busch graf jung alt kraft link mai storch strauß schmied meister richter
sonne mond stern blume liebe glück ruhe frieden licht nur can deniz umut nur ali
""".split()


# Words of organisations' names: a run of capitalised words with one of them is no person.
_ORGANISATION_WORDS = """
inc ltd llc plc gmbh ag kg se co corp corporation company group holding holdings bank
insurance investments partners agency research technologies technology solutions services
markets analytics capital media consulting university hospital hotel restaurant club
orchestra lines ratings foundation institute association verlag versicherung stiftung
verein klinik praxis apotheke laboratories labs systems software industries international
sons brothers""".split()
# Endings of common nouns, adjectives and adverbs that names hardly have (German -ung,
# -heit, -keit; English -ly, -tion, -ness …): a capitalised word with one is no name.
NOUN_SUFFIX_RE = _NOUN_SUFFIX_RE = re.compile(
    r"(?:ung|ungen|heit|keit|schaft|tion|tionen|tät|ismus|ly|ness|ing|ings|able|ible|less|ous|"
    r"ship|hood|ware)$"
)


# Frequent German and English words that are no names (`manage.py redaction_frequent_words`).
FREQUENT_WORDS_PATH = Path(__file__).resolve().parent / "frequent_words.txt"


@functools.cache
def frequent_words() -> frozenset[str]:
    """The shipped list of frequent words that are no names (empty when it is missing)."""
    return word_list_read(FREQUENT_WORDS_PATH)


@dataclass(frozen=True)
class NameLexicon:
    first_names: frozenset[str]
    last_names: frozenset[str]
    # Including those that are also common words ("Young", "König"): after a first
    # name they are surnames.
    all_last_names: frozenset[str] = frozenset()
    # Including those that are also common words ("Kai", "Ali", "Max"): after a role or a
    # verb of saying they are first names.
    all_first_names: frozenset[str] = frozenset()


@functools.cache
def common_words() -> frozenset[str]:
    """Lower-cased common German and English words: stop words, a basic vocabulary, curated."""
    words: set[str] = set(_COMMON_EXTRA) | set(_ORGANISATION_WORDS)
    try:
        # spaCy takes seconds to import: loaded on first use.
        from spacy.lang.de.stop_words import STOP_WORDS as GERMAN_STOP_WORDS
        from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS

        words |= GERMAN_STOP_WORDS | ENGLISH_STOP_WORDS
    except ImportError:  # spaCy is a dependency; this only keeps the function pure
        pass
    for module in ("faker.providers.lorem.de_DE", "faker.providers.lorem.en_US"):
        try:
            words |= {w.lower() for w in importlib.import_module(module).Provider.word_list}
        except ImportError:
            pass
    return frozenset(words)


def _names_of(provider: type, attributes: Iterable[str]) -> set[str]:
    names: set[str] = set()
    for attribute in attributes:
        value = provider.__dict__.get(attribute)
        if value is None:
            for base in provider.__mro__[1:]:
                value = base.__dict__.get(attribute)
                if value is not None:
                    break
        if isinstance(value, dict):
            names |= set(value)
        elif isinstance(value, list | tuple | set | frozenset):
            names |= set(value)
    return {n.lower() for n in names if isinstance(n, str) and len(n) >= 2 and n.isalpha()}


@functools.cache
def name_lexicon(locales: tuple[str, ...] = DEFAULT_NAME_LOCALES) -> NameLexicon:
    """First and last names from Faker's person providers, without common words."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            logger.warning("No Faker name list for %s; names are found by context only.", locale)
            continue
        first |= _names_of(
            provider,
            ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"),
        )
        locale_last = _names_of(
            provider,
            (
                "last_names",
                "last_names_male",
                "last_names_female",
                "male_last_names",  # pl_PL: its "last_names" is Faker's base list, "Doe"
                "unisex_last_names",
            ),
        )
        # Polish surnames in -ski/-cki are listed in the masculine only: add "Kowalska".
        locale_last |= {
            name[:-1] + "a" for name in locale_last if name.endswith(("ski", "cki", "dzki"))
        }
        last |= locale_last
    common = common_words()
    return NameLexicon(
        first_names=frozenset(first - common),
        last_names=frozenset(last - common),
        all_last_names=frozenset(last),
        all_first_names=frozenset(first),
    )


# --- tokens -----------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
TOKEN_RE = _TOKEN_RE
_PARTICLES = frozenset(
    "van von de der den ten ter da di del della dos das du la le bin ibn al".split()
)
PARTICLES = _PARTICLES
TITLE_RE = _TITLE_RE = regex_starting_with(
    "dfhmps",
    r"(?<![\w])(?:Herrn?|Frau|Fr\.|Hr\.|Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam|Mme|Mlle|Monsieur|"
    r"Madame|Señora?|Sra?\.)\.?[ ]+(?:(?:Dr|Prof)\.?[ ]+)*",
    re.IGNORECASE,
)
# Followed by a name in any case ("my name is vitoria").
_STRONG_TRIGGER_RE = regex_starting_with(
    "cfilmnsvy\n",
    r"(?:\bmein\s+name\s+ist|\bich\s+hei(?:ß|ss)e|\bmy\s+name\s+is|\bmy\s+name'?s|"
    r"\bmein\s+name\s*:|(?:^|\n)[ \t]*(?:full\s+)?(?:name|vorname|nachname|ansprechpartner(?:in)?|"
    r"kontakt|contact)\s*:|\bcalls?\s+me|\bnennt\s+mich|\bnennen\s+mich|"
    r"\b(?:last|first|full|family|maiden|sur|nach|vor|mädchen)[ -]?name\??(?:\s+is)?|"
    r"\byour\s+name\?(?:\s*(?:user|kunde|customer)\s*:)?|\bname\s+on\s+the\s+"
    r"\w+\?\s*(?:user\s*:)?|\bname\s+is)[ \t]*",
    re.IGNORECASE,
)
# Followed by a name when it is capitalised or in a name list: "a woman called Kowalczyk",
# "my son is called jonas", but not "I called support" or "it is called lovely".
_NAMING_TRIGGER_RE = regex_starting_with("cgn", r"\b(?:called|named|genannt)[ \t]+", re.IGNORECASE)
# Followed by a capitalised name that must have some more evidence.
_WEAK_TRIGGER_RE = regex_starting_with(
    "ahist",
    r"(?:\bich\s+bin|\bhier\s+ist|\bhier\s+spricht|\bhier\s+schreibt|\bi\s+am|\bi'm|\bthis\s+is|"
    r"\bit'?s|\bspeak\s+(?:to|with)|\btalk\s+to|\bask\s+for|\bsprechen\s+mit)[ \t]+",
    re.IGNORECASE,
)
# Of the weak triggers, those that introduce the writer or caller ("Hallo, hier ist Deniz",
# "I'm Grace."), not a thing ("it's June") or someone asked for ("speak to Frank").
_INTRODUCTION_RE = re.compile(
    r"(?:\bich\s+bin|\bhier\s+ist|\bhier\s+spricht|\bhier\s+schreibt|\bi\s+am|\bi'm|"
    r"\bthis\s+is)[ \t]+$",
    re.IGNORECASE,
)
# What may follow a writer's first name that introduces them: the clause's end, or where
# they are from ("hier ist Kai von der Firma …").
_AFTER_INTRODUCED_NAME_RE = re.compile(
    r"[ \t]*(?:$|[\n,!.:;)]|(?:und|and|von|vom|aus|from|here|hier)\b)", re.IGNORECASE
)
# First names that are also words of the calendar or the weather: "this is May", "ich bin
# Sommer" say no name.
_CALENDAR_WORDS = frozenset(
    """januar februar märz april mai juni juli august september oktober november dezember
    january february march may june july october december spring summer autumn winter
    sommer herbst frühling sunny""".split()
)
# Greetings: followed by a capitalised word that is a name unless it is a common word.
_GREETING_RE = re.compile(
    r"(?:^|(?<=[\n.!?]))[ \t]*(?:hallo|hi|hey|moin|servus|liebe[rs]?|dear|hello|guten\s+"
    r"(?:tag|morgen|abend)|sehr\s+geehrte[rs]?)[ \t]+",
    re.IGNORECASE,
)
_SIGNATURE_RE = re.compile(
    r"(?:^|(?<=[\n.!?]))[ \t]*(?:(?:viele|liebe|beste|freundliche|herzliche|schöne|sonnige)\s+"
    r"grüße|mit\s+freundlichen\s+grüßen|(?:mit\s+)?besten\s+grüßen|mfg|lg|vg|gruß|grüße|"
    r"danke(?:\s+schön)?|vielen\s+dank|best(?:\s+regards|\s+wishes)?|kind\s+regards|"
    r"warm\s+regards|regards|cheers|thanks|thank\s+you|sincerely|yours(?:\s+(?:truly|"
    r"sincerely))?|br|tschüss|ciao)[ \t]*[,!.]?[ \t]*(?:\r?\n[ \t]*)?(?=\S)",
    re.IGNORECASE,
)
# A form's name field at a line's start, the surname first ("Name: Müller, Anna",
# "Patient: Müller, Anna", "Name, Vorname: Müller, Anna", "Name: Smith, John").
_FORM_NAME_FIELD_RE = re.compile(
    r"(?:^|(?<=\n))[ \t]*(?:(?:vorname|first[ \t]+name)[ \t]*,[ \t]*)?"
    r"(?P<label>patient(?:in)?|versicherte[rn]?|name|nachname|familienname|surname|"
    r"(?:last|family|full)[ \t]+name|patient(?:en)?[ \t-]*name)"
    r"(?:[ \t]*,[ \t]*(?:vornamen?|first[ \t]+names?|given[ \t]+names?))?[ \t]*:[ \t]*",
    re.IGNORECASE,
)
# Where a form's field ends: the line's end, a comma or bracket before more data, or a
# column gap ("Name: Müller, Anna   geb. 01.02.1950").
_FIELD_END_RE = re.compile(r"[ \t]*(?:$|\n|[,;(]|[ \t]{2,}|\t)")
_NAME_SUFFIX_RE = re.compile(r",?[ ](?:Jr\.?|Sr\.?|II|III|IV|MD|PhD|DDS|DVM|Esq\.?)(?![\w])")
_SPEAKER_RE = re.compile(
    r"(?:^|(?<=\n))[ \t]*(?P<name>(?-i:[A-ZÀ-ÖØ-ÞĀ-Ž])[^\W\d_]+)[ \t]*:(?=[ \t]*\S)"
)
_FIELD_WORDS = frozenset(
    """bot user kunde customer agent support system name date datum phone email mail fax
    mobile address adresse website subject betreff note hinweis frage antwort question
    answer""".split()
)
_VOCATIVE_RE = re.compile(
    r"(?:^|(?<=[\n.!?][ ]))(?P<name>(?-i:[A-ZÀ-ÖØ-ÞĀ-Ž])[^\W\d_]+),[ ](?=(?:can|could|would|"
    r"will|please|i|we|you|do|did|are|is|have|kannst|können|könnten|kannst|bitte|ich|wir|hast|"
    r"hättest|wie|wo|wann|was)\b)",
    re.IGNORECASE,
)
_ENUMERATION_JOINTS = (" and ", " und ", " & ")  # every enumeration has one
_ENUMERATION_RE = re.compile(
    r"(?<![\w-])[^\W\d_][\w'’-]*(?:,[ ][^\W\d_][\w'’-]*)*,?[ ](?:and|und|&)[ ]"
    r"[^\W\d_][\w'’-]*(?![\w-])"
)
# English verbs that take a person before or after them ("says Hartvigsson", "Maslin said").
_PERSON_BEFORE_RE = re.compile(
    # "by" and "with" only in lower case: a Title Case label capitalises them ("Shop By
    # Brand", "Pay With Klarna"), where what follows is a thing.
    r"\b(?:says|said|asked|told|tell|(?-i:by|with)|heard|called|named|starring|tribute\s+to|"
    r"follow\s+up\s+with|add|remove\s+my\s+\w+|meet|invite|thank|thanks)[ \t]+"
    r"(?:mr\.?\s+|mrs\.?\s+)?$",
    re.IGNORECASE,
)
_PERSON_AFTER_RE = re.compile(
    r"^(?:'s\b|’s\b|[ \t]+(?:said|says|lives|lived|wrote|writes|told|asked|shouted|replied|"
    r"spent|began|is\s+from|was\s+born|had\s+given|has\s+been|will\s+be\s+talking|"
    r"is\s+very|just\s+has|listed|sagt|sagte|meint|meinte|schreibt|schrieb|wohnt|hat\s+mir))",
    re.IGNORECASE,
)


# German roles and occupations; as the head of a compound too ("Europaminister Söder",
# "Teamkollegen Liuzzi"), which English does not write together ("administer").
_GERMAN_ROLES = (
    r"trainer|sprecher|kolleg(?:e|en)?|präsident(?:en)?|senators?|ministers?|kanzlers?|rappers?|"
    r"sängers?|schauspielers?|autors?|regisseurs?|genossen?|bürgermeisters?|nachbarn?|"
    r"vermieters?|professors?|pfarrers?|stürmers?|torhüters?|gründers?|komponisten?|"
    r"malers?|dichters?|"
    # Occupations a chat names a person after ("meine Kollegin Hartvigsson", "Ihr Techniker
    # Wüstenhagen", "des Surrealisten Ernst"); none ends a listed surname.
    r"journalisten?|pianisten?|gitarristen?|polizisten?|juristen?|aktivisten?|publizisten?|"
    r"surrealisten?|spezialisten?|technikers?|beraters?|betreuers?|mitarbeiters?|arztes|"
    r"arzt|ärzt|anwalts?|anwält|fahrers?|zustellers?|boten?|verkäufers?|vertreters?|"
    r"maklers?|sachbearbeiter|leiters?|chefs?"
)
# A role or occupation right before a name ("Producer Liviana Palerma", "Trainer Naki",
# "Rapper Ice-T", "mein Vermieter Wüstenhagen"): the words after it that are no frequent
# word are a name, in either language.
_ROLE_BEFORE_RE = re.compile(
    r"\b(?:producer|director|singer|rapper|author|novelist|writer|actor|actress|colleague|"
    r"coach|manager|president|senator|minister|chancellor|professor|judge|governor|captain|"
    r"detective|inspector|landlord|landlady|neighbou?r|guitarist|drummer|composer|painter|"
    r"poet|striker|goalkeeper|founder|spokes(?:man|woman|person)|"
    rf"{_GERMAN_ROLES})(?:in)?[ \t]+$",
    re.IGNORECASE,
)
_GERMAN_ROLE_BEFORE_RE = re.compile(rf"[^\W\d_]*?(?:{_GERMAN_ROLES})(?:in)?[ \t]+$", re.IGNORECASE)
# The same without its leading letters, for a search: it finds a match where the one
# above does (after those letters), without trying every letter as a start.
_GERMAN_ROLE_ENDING_RE = re.compile(rf"(?:{_GERMAN_ROLES})(?:in)?[ \t]+$", re.IGNORECASE)
# The longest role the two regexes above end in, with its "-in" ("Bürgermeisterin").
_LONGEST_ROLE = 16


# The last word of a text ("als schmaler" → "schmaler").
_LAST_WORD_RE = re.compile(r"[^\W\d_]+$")


def _role_before(before: str, *, german: bool) -> bool:
    """Whether before ends in a role (_ROLE_BEFORE_RE; in German _GERMAN_ROLE_BEFORE_RE too)
    and blanks. Searched only from where the longest role could start: a search from
    before's start tried each role at every character (up to 0.2 ms a word)."""
    start = max(0, len(before.rstrip(" \t\n")) - _LONGEST_ROLE)
    if _ROLE_BEFORE_RE.search(before, start):
        return True
    if not german:
        return False
    ending = _GERMAN_ROLE_ENDING_RE.search(before, start)
    # The head of a compound noun, which German capitalises ("Europaminister"), not the
    # end of an adjective ("als schmaler Waldsaum").
    word = _LAST_WORD_RE.search(before[: ending.end()].rstrip(" \t")) if ending else None
    return bool(word and word.group(0)[0].isupper())


def german_role_word(word: str) -> bool:
    """ "Europaminister": a German role, also as the head of a compound. Cached for the
    shipped list's nouns only: a customer's other words (the names) are not kept."""
    if word in lexicon_de.german_nouns():
        return _german_role_word_cached(word)
    return _german_role_match(word)


def _german_role_match(word: str) -> bool:
    return _GERMAN_ROLE_BEFORE_RE.fullmatch(word + " ") is not None


_german_role_word_cached = functools.lru_cache(maxsize=4096)(_german_role_match)


_GERMAN_PERSON_BEFORE_RE = re.compile(
    r"(?:\b(?:sagte|sagt|meinte|meint|erklärte|erklärt|betonte|kritisierte|schrieb|fragte|"
    r"antwortete|laut|erzählte|erzählt|ergänzte|ergänzt|berichtete|berichtet|warnte|"
    r"forderte|bestätigte|bestätigt|versicherte)|,[ \t]*so)[ \t]+$",
    re.IGNORECASE,
)
# "laut …" and ", so …" name a source, as often a company as a person ("laut Telekom").
_GERMAN_SOURCE_BEFORE_RE = re.compile(r"(?:\blaut|,[ \t]*so)[ \t]+$", re.IGNORECASE)
_GERMAN_PERSON_AFTER_RE = re.compile(
    r"^(?:[ \t]+(?:sagte|sagt|meinte|meint|erklärte|erklärt|betonte|kritisierte|schrieb|"
    r"schreibt|fragte|antwortete|hat[ \t]+(?:(?:gestern|heute|eben|vorhin|gerade|schon|"
    r"nochmal|wieder|morgens|mittags|abends)[ \t]+)?(?:angerufen|geschrieben|gesagt|gemeint)|"
    r"rief|ruft|erzählte|erzählt|ergänzte|berichtete|warnte|forderte|bestätigte|"
    r"gilt[ \t]+als|galt[ \t]+als)\b)",
    re.IGNORECASE,
)


class _Token:
    """A word of the text. Its derived forms are worked out once: the detector asks for
    them many times per word."""

    __slots__ = ("start", "end", "text", "lower", "capitalised", "initial")

    def __init__(self, start: int, end: int, text: str) -> None:
        self.start = start
        self.end = end
        self.text = text
        self.lower = text.lower()
        self.capitalised = text[0].isupper()
        self.initial = len(text) == 1 and self.capitalised


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.start(), m.end(), m.group(0)) for m in _TOKEN_RE.finditer(text)]


def _joined(text: str, left: _Token, right: _Token) -> bool:
    """Whether two tokens sit side by side in one name: a space, or an initial's dot."""
    gap = text[left.end : right.start]
    return gap in (" ", "  ") or (left.initial and gap in (". ", "."))


def base_word(token: str) -> str:
    """German genitive and English possessive: "Erikas", "Erika's" -> "erika"."""
    lowered = token.lower()
    for suffix in ("'s", "’s", "s'", "s"):
        if lowered.endswith(suffix) and len(lowered) > len(suffix) + 2:
            if suffix == "s" and lowered[-2] in "sßxz":
                break  # no genitive: German writes "Klaus'", so "Bass" is no "Bas"
            return lowered[: -len(suffix)]
    return lowered


class _Detector:
    def __init__(self, text: str, lexicon: NameLexicon) -> None:
        self.text = text
        self.lexicon = lexicon
        self.common = common_words()
        self.tokens = _tokens(text)
        self.lowercase_text = not any(map(str.isupper, text))

    @functools.cached_property
    def by_start(self) -> dict[int, int]:
        return {token.start: index for index, token in enumerate(self.tokens)}

    @functools.cached_property
    def german(self) -> bool:
        return _looks_german(self.text, [token.lower for token in self.tokens])

    def is_first(self, token: _Token) -> bool:
        if token.lower in self.lexicon.first_names:
            return True
        # The genitive ("Erikas", "Erika's") of a first name, but not "This" from "Thi".
        base = base_word(token.text)
        return (
            base != token.lower
            and len(base) >= 3
            and not self.is_common(token)
            and base in self.lexicon.first_names
        )

    def surname_alone(self, index: int) -> bool:
        """A listed surname that is no frequent word is a name on its own ("Lehmann hat
        angerufen"); "Koch", "Bauer", "Wolf" are frequent words and need more evidence,
        and so does one beside a capitalised frequent word ("Smart Home", "Cook Time")."""
        token = self.tokens[index]
        if not (
            token.capitalised
            and len(token.text) > 3
            and self.is_last(token)
            and token.lower not in frequent_words()
            and not self.is_common(token)
        ):
            return False
        before = self.tokens[index - 1 : index] if index else []
        after = self.tokens[index + 1 : index + 2]
        pairs = [(other, token) for other in before] + [(token, other) for other in after]
        return not any(
            _joined(self.text, left, right)
            and other.capitalised
            and (other.lower in frequent_words() or self.is_common(other))
            for (left, right), other in zip(pairs, [*before, *after], strict=True)
        )

    def is_last(self, token: _Token) -> bool:
        return token.lower in self.lexicon.last_names

    def is_common(self, token: _Token) -> bool:
        lower = token.lower
        if lower in self.common:
            return True
        if lower in self.lexicon.first_names or lower in self.lexicon.last_names:
            return False
        return _NOUN_SUFFIX_RE.search(lower) is not None

    def name_shaped(self, token: _Token, *, allow_lower: bool) -> bool:
        if token.initial:
            return True
        if token.text.isupper() and len(token.text) > 1 and not self.lowercase_text:
            return False  # DHL, ISBN: acronyms, not names
        if token.capitalised:
            return not self.is_common(token) or self.is_first(token) or self.is_last(token)
        return allow_lower and not self.is_common(token)

    def index_at(self, position: int) -> int | None:
        """The first token starting at or after position (skipping spaces)."""
        for index, token in enumerate(self.tokens):
            if token.start >= position:
                return index if not self.text[position : token.start].strip() else None
        return None

    def relaxed_shaped(self, token: _Token, *, allow_lower: bool) -> bool:
        """After a title or "my name is" any word but a stop word can be a name ("Frau Koch")."""
        if token.initial:
            return True
        if token.text.isupper() and len(token.text) > 1 and not self.lowercase_text:
            return False
        if token.lower in _stop_words() or token.lower in _ORGANISATION_WORDS:
            return False
        return token.capitalised or allow_lower

    def run(
        self, index: int, *, allow_lower: bool, limit: int = 4, relaxed: bool = False
    ) -> tuple[int, int] | None:
        """The name that starts at token index: up to `limit` name-shaped tokens."""
        tokens = self.tokens

        def shaped(token: _Token, lower_ok: bool) -> bool:
            if relaxed:
                return self.relaxed_shaped(token, allow_lower=lower_ok)
            return self.name_shaped(token, allow_lower=lower_ok)

        if not shaped(tokens[index], allow_lower) or tokens[index].initial:
            return None
        after_first_name = self.is_first(tokens[index])
        last = index
        while last + 1 < len(tokens) and last - index + 1 < limit:
            following = tokens[last + 1]
            if not _joined(self.text, tokens[last], following):
                break
            if following.lower in _PARTICLES and last + 2 < len(tokens):
                after = tokens[last + 2]
                if _joined(self.text, following, after) and after.capitalised:
                    last += 2
                    continue
            surname = (
                after_first_name
                and following.capitalised
                and following.lower in self.lexicon.all_last_names
            )
            lower_ok = allow_lower and (self.lowercase_text or following.capitalised)
            if lower_ok and not following.capitalised and not relaxed:
                # In lower-case text a name goes on only over a word that is no frequent
                # one: "john smith called" ends before "called".
                lower_ok = following.lower not in frequent_words() or self.is_last(following)
            if not (surname or shaped(following, lower_ok)):
                break
            last += 1
        if tokens[last].initial and last == index:
            return None  # a lone initial is no name
        end = tokens[last].end
        suffix = _NAME_SUFFIX_RE.match(self.text, end)
        return tokens[index].start, suffix.end() if suffix else end

    def spans(self) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        found += self._after(_STRONG_TRIGGER_RE, allow_lower=True, needs_evidence=False)
        found += self._form_name_fields()
        found += self._after(_TITLE_RE, allow_lower=self.lowercase_text, needs_evidence=False)
        found += self._after(_NAMING_TRIGGER_RE, allow_lower=False, needs_evidence=False)
        found += self._speaker_labels()
        found += self._vocatives()
        found += self._after(_SIGNATURE_RE, allow_lower=self.lowercase_text, needs_evidence=False)
        found += self._after(_GREETING_RE, allow_lower=False, needs_evidence=False)
        found += self._after(_WEAK_TRIGGER_RE, allow_lower=self.lowercase_text, needs_evidence=True)
        found += self._from_lexicon()
        found += self._from_person_verbs()
        found += self._with_middle_initial()
        found += self._enumerations()
        return found

    def _form_name_fields(self) -> list[tuple[int, int]]:
        """A form's name field, surname first: "Name: Müller, Anna" is one name with its
        comma. After "Patient:" (a word, not only a name's label: "Patient: 45 Jahre,
        weiblich", "Patient: Männlich", "Patient: Hund, Katze") the name must be
        capitalised, and it or the first name after it a name on its own
        (`_name_on_its_own`)."""
        spans = []
        for match in _FORM_NAME_FIELD_RE.finditer(self.text):
            title = _TITLE_RE.match(self.text, match.end())
            index = self.index_at(title.end() if title else match.end())
            if index is None:
                continue
            patient = match.group("label").lower().startswith(("patient", "versichert"))
            if patient and not (self.tokens[index].capitalised or self.lowercase_text):
                continue
            surname = self.run(index, allow_lower=not patient, limit=3, relaxed=True)
            if surname is None:
                continue
            comma = re.match(r",[ \t]*", self.text[surname[1] :])
            following = self.index_at(surname[1] + comma.end()) if comma else None
            first = (
                self.run(following, allow_lower=self.lowercase_text, limit=3, relaxed=True)
                if following is not None
                else None
            )
            if (
                first
                and _FIELD_END_RE.match(self.text, first[1])
                and (
                    not patient or self._name_on_its_own(index) or self._name_on_its_own(following)
                )
            ):
                spans.append((surname[0], first[1]))
            elif not patient or self._name_on_its_own(index):
                spans.append(surname)
        return spans

    def _name_on_its_own(self, index: int) -> bool:
        """A capitalised word that is a listed name, or no frequent or common word."""
        token = self.tokens[index]
        if self.is_first(token) or self.is_last(token):
            return True
        return (
            self.name_shaped(token, allow_lower=False)
            and token.lower not in frequent_words()
            and not token.initial
        )

    def _speaker_labels(self) -> list[tuple[int, int]]:
        """A pasted chat log ("Anna: …\nJohn: …"): its speakers, if one is a known first name."""
        if self.text.count(":") < 2:
            return []  # each of the two labels needed has its colon
        labels = list(_SPEAKER_RE.finditer(self.text))
        if len(labels) < 2:
            return []
        words = [m.group("name") for m in labels]
        if any(w.lower() in self.common or w.lower() in _FIELD_WORDS for w in words):
            return []
        if not any(w.lower() in self.lexicon.first_names for w in words):
            return []
        return [m.span("name") for m in labels]

    def _vocatives(self) -> list[tuple[int, int]]:
        """ "Kuba, can I please speak to your boss?": a name addressed at a sentence's start."""
        if ", " not in self.text:
            return []  # what every match has after the name
        spans = []
        for match in _VOCATIVE_RE.finditer(self.text):
            index = self.by_start.get(match.start("name"))
            if index is None or self.is_common(self.tokens[index]):
                continue
            token = self.tokens[index]
            if (
                token.lower in frequent_words()
                and not self.is_first(token)
                and not self.is_last(token)
            ):
                continue  # a word, no one addressed ("Unglaublich, wie …", "Sorry, can I …")
            spans.append(match.span("name"))
        return spans

    def _with_middle_initial(self) -> list[tuple[int, int]]:
        """ "Faina D. Yefremova", "Stephan M Urner": first name, initial, last name."""
        spans = []
        tokens = self.tokens
        for index in range(len(tokens) - 2):
            first, initial, last = tokens[index : index + 3]
            if not (initial.initial or (self.lowercase_text and len(initial.text) == 1)):
                continue
            if not (_joined(self.text, first, initial) and _joined(self.text, initial, last)):
                continue
            if (
                all(
                    self.name_shaped(t, allow_lower=self.lowercase_text) and not self.is_common(t)
                    for t in (first, last)
                )
                and len(first.text) > 1
            ):
                spans.append((first.start, last.end))
        return spans

    def _enumerations(self) -> list[tuple[int, int]]:
        """ "Kónya, Becker and Vasquez": a list of single capitalised words, one of them a
        known name, is a list of people."""
        if not any(joint in self.text for joint in _ENUMERATION_JOINTS):
            return []  # most messages: no list, and no word-by-word scan for one
        spans = []
        for match in _ENUMERATION_RE.finditer(self.text):
            if "- " in match.group(0):
                continue  # parts of compound nouns ("Steuer- und Versicherungsdaten")
            items = [
                m
                for m in _TOKEN_RE.finditer(match.group(0))
                if m.group(0).lower() not in ("and", "und", "or", "oder")
            ]
            tokens = [
                _Token(match.start() + m.start(), match.start() + m.end(), m.group(0))
                for m in items
            ]
            if any(self.is_common(t) or not t.capitalised for t in tokens):
                continue
            if not any(self.is_first(t) or self.is_last(t) for t in tokens):
                continue
            # "Kosten und Gebühren": a frequent word in no name list makes it a list of things.
            # So does a German noun or a place in a German text ("Violine und Bass").
            if any(
                not (self.is_first(t) or self.is_last(t))
                and (t.lower in frequent_words() or (self.german and _no_person_word(t.text)))
                for t in tokens
            ):
                continue
            following = re.match(r"[ \t]+([^\W\d_]+)", self.text[match.end() :])
            if following and following.group(1).lower() in _ORGANISATION_WORDS:
                continue
            spans += [(t.start, t.end) for t in tokens]
        return spans

    def _after(self, regex: re.Pattern, *, allow_lower: bool, needs_evidence: bool) -> list:
        spans = []
        for match in regex.finditer(self.text):
            index = self.index_at(match.end())
            if index is None:
                continue
            token = self.tokens[index]
            if needs_evidence and not (self.is_first(token) or self.is_last(token)):
                if self._introduced_first_name(token, match.group(0)):
                    spans.append((token.start, token.end))
                    continue
                # Without a listed name, two name-shaped words ("I'm Quarto Angelo").
                span = self.run(index, allow_lower=False, limit=3)
                if span and len(_TOKEN_RE.findall(self.text[span[0] : span[1]])) >= 2:
                    spans.append(span)
                continue
            if regex is _NAMING_TRIGGER_RE:
                if not (token.capitalised or self.is_first(token) or self.is_last(token)):
                    continue
                span = self.run(index, allow_lower=self.lowercase_text, limit=3)
            elif regex is _TITLE_RE and self._addressed_by_role(token):
                # "Sehr geehrter Herr Bürgermeister": an office; a name may follow it
                # ("Frau Kollegin Brömmelkamp").
                following = self.tokens[index + 1 : index + 2]
                if not (
                    following
                    and following[0].capitalised
                    and _joined(self.text, token, following[0])
                ):
                    continue
                span = self.run(index + 1, allow_lower=False, relaxed=True)
            elif regex in (_STRONG_TRIGGER_RE, _TITLE_RE):
                span = self.run(index, allow_lower=allow_lower, relaxed=True)
            elif regex in (_SIGNATURE_RE, _GREETING_RE):
                span = self.run(index, allow_lower=allow_lower, limit=3)
                # A signature's name ends its line; a greeting's name is followed by a
                # comma, "!" or the line's end ("Hallo Erika," but not "Hallo Paket kam nie").
                if span and not re.match(r"[ \t]*(?:$|[\n,!.:;])", self.text[span[1] :]):
                    continue
            else:
                span = self.run(index, allow_lower=allow_lower)
            if span:
                spans.append(span)
        return spans

    def _introduced_first_name(self, token: _Token, trigger: str) -> bool:
        """A first name that is also a common word ("Deniz", "Kai", "Grace") introducing the
        writer at the clause's end: "Hallo, hier ist Deniz", "I'm Grace." (not "it's June",
        "ich bin Sommer", "I am Will", "hier ist Ruhe")."""
        return (
            token.capitalised
            and token.lower in self.lexicon.all_first_names
            and token.lower not in _stop_words()
            and token.lower not in _CALENDAR_WORDS
            and _INTRODUCTION_RE.search(trigger) is not None
            and _AFTER_INTRODUCED_NAME_RE.match(self.text, token.end) is not None
        )

    def _addressed_by_role(self, token: _Token) -> bool:
        """A German role or office after "Herr"/"Frau" ("Herr Bürgermeister", "Frau
        Ministerin", "Herr Doktor"), when it is in no name list ("Frau Maler" stays)."""
        return (
            token.capitalised
            and _ADDRESSED_ROLE_RE.fullmatch(token.text) is not None
            and not (self.is_first(token) or token.lower in self.lexicon.all_last_names)
        )

    def _german_noun_after_article(self, index: int) -> bool:
        """A listed word that German grammar makes a noun: right after an indefinite article
        or a contracted preposition ("ein Server", "ins Tor", "einer Tom"), after a number
        ("7 Mio", "15 Tore"; not an ordinal: "1. Earl"), after an adjective when it is no
        German first name ("die dramatische Lage", "der rechten Wade"; "die kleine Anna"
        stays), or after a definite article, a possessive or a quantifier when it is no
        German first name and no listed surname ("den Bergen", "meiner beiden Tore"), and
        with no listed name after it ("der Anna Müller" stays a name)."""
        if not self.german:
            return False
        token = self.tokens[index]
        following = self.tokens[index + 1 : index + 2]
        if following and (
            _joined(self.text, token, following[0])
            and following[0].capitalised
            and (self.is_first(following[0]) or self.is_last(following[0]))
        ):
            return False
        if _CARDINAL_BEFORE_RE.search(self.text, max(0, token.start - 20), token.start):
            return True
        if not index:
            return False
        previous = self.tokens[index - 1]
        if not _joined(self.text, previous, token):
            return False
        article = previous.lower
        if article in _GERMAN_INDEFINITE_ARTICLES:
            return True
        if (
            (german_adjective(previous.text) or self._adjective_after_determiner(index - 1))
            and token.capitalised
            and not self.lowercase_text
            and not (index > 1 and self.tokens[index - 2].lower in _PERSONAL_PRONOUNS)
        ):
            # not a verb after its subject ("ich frage Yusuf", "wir treffen Yusuf")
            return token.lower not in german_first_names()
        return (
            article in GERMAN_DETERMINERS
            and article != "ihr"  # also "you": "Habt ihr Yusuf erreicht?"
            and token.lower not in german_first_names()
            and not self.is_last(token)
        )

    def _adjective_after_determiner(self, index: int) -> bool:
        """Whether the token at index is an inflected adjective after a determiner, also
        one ending like a verb's past ("der rechten Wade", "des ersten Romans", "die
        größte Marine"): after "der", "des", "einer" no verb follows."""
        if not index:
            return False
        word, determiner = self.tokens[index], self.tokens[index - 1]
        return (
            word.text.islower()
            and _ADJECTIVE_RE.fullmatch(word.text) is not None
            and determiner.lower in GERMAN_DETERMINERS
            and determiner.lower != "ihr"  # also "you": "Habt ihr erwartete …"
            and _joined(self.text, determiner, word)
        )

    def _from_lexicon(self) -> list[tuple[int, int]]:
        spans = []
        tokens = self.tokens
        for index, token in enumerate(tokens):
            if not (token.capitalised or self.lowercase_text) or not (
                self.is_first(token) or self.surname_alone(index)
            ):
                continue
            if self._german_noun_after_article(index) or (
                self.german and COMPOUND_PART_AFTER_RE.match(self.text, token.end)
            ):
                continue
            if token.text.isupper() and len(token.text) > 2 and not self.lowercase_text:
                continue
            start = index
            # A first name before it ("Anna Lena Meier") belongs to the same name.
            while start > 0 and _joined(self.text, tokens[start - 1], tokens[start]):
                previous = tokens[start - 1]
                if previous.capitalised and (self.is_first(previous) or self.is_last(previous)):
                    start -= 1
                else:
                    break
            span = self.run(start, allow_lower=self.lowercase_text)
            if span and not self._beside_english_words(*span):
                spans.append(span)
        # A last name from the list with a capitalised, uncommon word beside it.
        for index, token in enumerate(tokens[:-1]):
            following = tokens[index + 1]
            if not _joined(self.text, token, following):
                continue
            pair = (token, following)
            if (
                all(t.capitalised and not self.is_common(t) for t in pair)
                and any(self.is_last(t) for t in pair)
                and not self._german_thing_beside(pair)
            ):
                span = self.run(index, allow_lower=False)
                if span and not self._beside_english_words(*span):
                    spans.append(span)
        return spans

    def _german_thing_beside(self, pair: tuple[_Token, _Token]) -> bool:
        """In German text, a surname that is also a frequent word beside a German noun or a
        place that is in no name list names a thing, not a person ("Filiale Nord",
        "Fußball-Regionalliga Nord", "Schweizer Armee"); beside a surname that is no
        frequent word the noun is a role ("Fahrer Kowalski")."""
        return (
            self.german
            and any(self.is_last(t) and t.lower in frequent_words() for t in pair)
            and any(
                not (self.is_first(t) or self.is_last(t)) and _no_person_word(t.text) for t in pair
            )
        )

    def _beside_english_words(self, start: int, end: int) -> bool:
        """In German text, a name found by the lists beside an English function word is
        part of an English title or phrase ("Blood of Eden", "Earl of Totnes")."""
        if not self.german:
            return False
        before = _WORD_BEFORE_RE.search(self.text, max(0, start - 20), start)
        after = _WORD_AFTER_RE.match(self.text, end)
        return any(
            match and match.group(1).lower() in _ENGLISH_JOINING_WORDS for match in (before, after)
        )

    def _from_german_person_verbs(self) -> list[tuple[int, int]]:
        """ "sagte Lehmann", "laut Wüstenhagen", "Wüstenhagen meinte": a capitalised word
        that is no frequent word beside a German verb of saying (German capitalises every
        noun: "sagte der Chef" has an article, "laut Rechnung" a frequent word). After the
        verb or a role (not after "laut"), a frequent word is a name too when it is no
        German noun and no place ("Genosse Stalin", "sagte Schröder": wordfreq counted
        the name's uses)."""
        spans = []
        for index, token in enumerate(self.tokens):
            if not token.capitalised or token.initial or len(token.text) < 3:
                continue
            before = self.text[max(0, token.start - 30) : token.start]
            if self.is_common(token):
                if self._announced_first_name(token, before, german=True):
                    spans.append((token.start, token.end))
                continue
            if german_role_word(token.text):
                # a role is the name's announcement, not part of it ("sagte Europaminister …")
                continue
            announced = _GERMAN_PERSON_BEFORE_RE.search(before) or _role_before(before, german=True)
            if token.lower in frequent_words() and (
                not announced
                or _GERMAN_SOURCE_BEFORE_RE.search(before)
                or lexicon_de.no_person_word(token.text)
            ):
                continue
            if not announced and (
                not _GERMAN_PERSON_AFTER_RE.match(self.text[token.end :])
                or self._german_noun_as_subject(index)
            ):
                continue
            span = self.run(index, allow_lower=False, limit=3)
            if span:
                spans.append(span)
        return spans

    def _announced_first_name(self, token: _Token, before: str, *, german: bool) -> bool:
        """A first name that is also a common word ("Kai", "Ali", "Max", "Grace") right
        after a role or a verb of saying ("Mein Kollege Kai", "Ihr Mitarbeiter Ali",
        "sagte Max"); not a stop word ("Will"), not after "laut" (a source)."""
        if token.lower not in self.lexicon.all_first_names or token.lower in _stop_words():
            return False
        if german:
            return bool(
                (_GERMAN_PERSON_BEFORE_RE.search(before) or _role_before(before, german=True))
                and not _GERMAN_SOURCE_BEFORE_RE.search(before)
            )
        return bool(_PERSON_BEFORE_RE.search(before) or _role_before(before, german=False))

    def _german_noun_as_subject(self, index: int) -> bool:
        """Whether the word before a verb of saying is a German noun, not an unlisted name:
        after an article or a possessive ("Der Paketbote hat gestern angerufen", "Ihre
        Kollegin sagte"), or a noun of the dictionary ("Zusteller hat angerufen"); not a
        compound of nouns, which many surnames are ("Rosenzweig hat angerufen"). A listed
        name stays one ("die Anna hat angerufen")."""
        token = self.tokens[index]
        if self.is_first(token) or self.is_last(token):
            return False
        previous = self.tokens[index - 1] if index else None
        return (
            previous is not None
            and previous.lower in GERMAN_DETERMINERS
            and _joined(self.text, previous, token)
        ) or token.text in lexicon_de.german_nouns()

    def _from_person_verbs(self) -> list[tuple[int, int]]:
        if self.german:
            return self._from_german_person_verbs()
        spans = []
        tokens = self.tokens
        for index, token in enumerate(tokens):
            if not token.capitalised or token.initial:
                continue
            before = self.text[max(0, token.start - 30) : token.start]
            if self.is_common(token):
                if self._announced_first_name(token, before, german=False):
                    spans.append((token.start, token.end))
                continue
            if _PERSON_BEFORE_RE.search(before) or (
                _role_before(before, german=False) and token.lower not in frequent_words()
            ):
                span = self.run(index, allow_lower=False, limit=3)
                if span:
                    spans.append(span)
            possessive = (
                token.text.endswith(("'s", "’s"))
                and len(token.text) > 4
                and token.text[:-2].lower() not in frequent_words()
                and token.text[:-2].lower() not in self.common
            )
            if possessive or _PERSON_AFTER_RE.match(self.text[token.end :]):
                # "Krisztián Szöllösy listed …", "Yuri Bulgakov's verses": the verb or the
                # possessive follows the whole name.
                start = index
                while (
                    start > 0
                    and index - start < 2
                    and _joined(self.text, tokens[start - 1], tokens[start])
                    and self.name_shaped(tokens[start - 1], allow_lower=False)
                ):
                    start -= 1
                spans.append((tokens[start].start, token.end - 2 if possessive else token.end))
        return spans


# Offices German addresses a person by ("Herr Bürgermeister", "Frau Bundesministerin"),
# not occupations that are surnames too ("Frau Maler", "Herr Richter").
_ADDRESSED_ROLE_RE = re.compile(
    r"[^\W\d_]*(?:bürgermeister|minister|präsident|kanzler|senator|botschafter|"
    r"professor|pfarrer|direktor|kommissar|abgeordnete|vorsitzende|kollegin)(?:in)?|"
    r"Doktor(?:in)?|Kollege",
    re.IGNORECASE,
)
# A number right before a word (not an ordinal's dot: "1. Earl"): "7,401 Mio", "15 Tore".
_CARDINAL_BEFORE_RE = re.compile(r"(?<![\w.,])\d(?:[\d.,]*\d)?[ \t]+$")
# A lower-case word with an adjective's ending ("eine große Kehlwamme", "die dramatische
# Lage"), not a verb's past ("benannte Scotty", "traf Müller").
_ADJECTIVE_RE = re.compile(r"[^\W\d_]{2,}(?:e|en|er|es|em)")
_PAST_TENSE_RE = re.compile(r"(?:te|ten|tet)$")
# English words that join the words of a title or a phrase ("Blood of Eden", "Till Death
# Do Us Part"); not an article, which may start a title with a person in it ("The Martin
# Garrix Show"), nor spaCy's other English stop words ("show", "call", "name").
_ENGLISH_JOINING_WORDS = frozenset("of from do does us my your our with by for at on to".split())
_PERSONAL_PRONOUNS = frozenset("ich du er sie es wir ihr man".split())
_CAPITALISED_ADJECTIVE_RE = re.compile(r"[A-ZÄÖÜ][^\W\d_]{2,}(?:isch|lich)(?:e|en|er|es|em)")


# A hyphen after a word that joins it to a noun, or leaves the noun to the next word
# ("Steuer- und Versicherungsdaten"): the word is the first part of a compound noun.
COMPOUND_PART_AFTER_RE = re.compile(r"[ ]?-[A-ZÄÖÜ]|-[ ]+(?:und|oder|bis|sowie)\b")
# The word right before or after a name, one blank between.
_WORD_BEFORE_RE = re.compile(r"([^\W\d_]+)[ ]$")
_WORD_AFTER_RE = re.compile(r"[ ]([^\W\d_]+)")


def _no_person_word(word: str) -> bool:
    """A German noun or a place, also a compound with a hyphen that has one
    ("Fußball-Regionalliga", "Mans-Serie")."""
    return any(lexicon_de.no_person_word(part) for part in word.split("-") if len(part) > 2)


def german_adjective(word: str) -> bool:
    """Whether a word before a capitalised one is a German adjective (or a participle
    used as one): lower case, an adjective's ending, no function word, no verb's past;
    or one of "-isch" or "-lich" capitalised in a name ("der Kaiserlichen Marine")."""
    if word[0].isupper():
        return _CAPITALISED_ADJECTIVE_RE.fullmatch(word) is not None
    return (
        _ADJECTIVE_RE.fullmatch(word) is not None
        and word not in _language_stop_words()[0]
        and not _PAST_TENSE_RE.search(word)
    )


# Words before a noun: articles, articles joined to a preposition, possessives and
# quantifiers ("die Kehlwamme", "zum Parteichef", "seine Barone"). German writes a name
# without one ("bekommt Jochum", "von Oetker").
GERMAN_DETERMINERS = frozenset(
    """der die das den dem des ein eine einer einen einem eines kein keine keiner keinen
    keinem keines im am ins ans zum zur vom beim aufs durchs fürs ums mein meine meiner
    meinen meinem meines dein deine deinen deinem deines sein seine seiner seinen seinem
    seines ihr ihre ihrer ihren ihrem ihres unser unsere unserer unseren unserem unseres
    euer eure euren eurem eures dieser diese dieses diesen diesem jener jene jenes jenen
    jenem jeder jede jedes jeden jedem alle allen aller manche manchen mancher solche
    solchen welche welcher welchen viele vielen wenige wenigen einige einigen mehrere
    mehreren beide beiden""".split()
)
_GERMAN_INDEFINITE_ARTICLES = frozenset(
    "ein eine einer einen einem eines kein keine keiner keinen keinem keines "
    "ins im am zum zur vom beim".split()
)
GERMAN_NAME_LOCALES = ("de_AT", "de_CH", "de_DE")


@functools.cache
def german_first_names() -> frozenset[str]:
    return name_lexicon(GERMAN_NAME_LOCALES).first_names


@functools.cache
def _language_stop_words() -> tuple[frozenset[str], frozenset[str]]:
    """The German stop words that are no English ones, and the English that are no German."""
    # spaCy takes seconds to import: loaded on first use.
    from spacy.lang.de.stop_words import STOP_WORDS as GERMAN_STOP_WORDS
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS

    return (
        frozenset(GERMAN_STOP_WORDS - ENGLISH_STOP_WORDS),
        frozenset(ENGLISH_STOP_WORDS - GERMAN_STOP_WORDS),
    )


_UMLAUT_RE = re.compile(r"[äöüß]")


def _looks_german(text: str, words: list[str] | None = None) -> bool:
    """Whether text has more German function words than English ones. `words`: its
    tokens lower-cased, if the caller has them."""
    german_only, english_only = _language_stop_words()
    if words is None:
        words = [w.lower() for w in _TOKEN_RE.findall(text)]
    german = sum(w in german_only for w in words)
    english = sum(w in english_only for w in words)
    return german > english or bool(_UMLAUT_RE.search(text)) and german >= english


def _stop_words() -> frozenset[str]:
    return _stop_words_cached()


@functools.cache
def _stop_words_cached() -> frozenset[str]:
    # spaCy takes seconds to import: loaded on first use.
    from spacy.lang.de.stop_words import STOP_WORDS as GERMAN_STOP_WORDS
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS

    return frozenset(GERMAN_STOP_WORDS | ENGLISH_STOP_WORDS)


def coreference_spans(text: str, *, name_spans: Iterable[Span]) -> list[Span]:
    """Other mentions of a name found once ("… by Bonifacy Kaczmarek … Kaczmarek's song")."""
    common = common_words()
    parts = {
        part
        for start, end, _ in name_spans
        for part in _TOKEN_RE.findall(text[start:end])
        if len(part) >= 3 and part[0].isupper() and part.lower() not in common
    }
    if not parts:
        return []
    alternation = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
    regex = re.compile(rf"(?<![\w])(?:{alternation})(?:['’]?s)?(?![\w])")
    return [(m.start(), m.end(), NAME) for m in regex.finditer(text)]


def contact_header_spans(text: str, *, data_spans: Iterable[Span]) -> list[Span]:
    """A line of two to four capitalised words heading a block with an address, phone or
    email ("Debra Neal\n\n3536 1659 Hoog St …") names the person it belongs to."""
    starts = sorted(start for start, _, _ in data_spans)
    if not starts:
        return []
    common = common_words()
    spans = []
    for match in _HEADER_LINE_RE.finditer(text):
        words = _TOKEN_RE.findall(match.group("name"))
        if any(
            w.lower() in common or _NOUN_SUFFIX_RE.search(w.lower()) for w in words if len(w) > 1
        ):
            continue
        following = text[match.end() : match.end() + 200]
        window_end = match.end() + sum(len(line) + 1 for line in following.split("\n")[:5])
        if any(match.end() <= start <= window_end for start in starts):
            spans.append((match.start("name"), match.end("name"), NAME))
    return spans


_HEADER_LINE_RE = re.compile(
    r"(?:^|(?<=\n))[ \t>?*]*(?P<name>(?-i:[A-ZÀ-ÖØ-ÞĀ-Ž])[^\W\d_'’-]*(?:[-'’][^\W\d_]+)?"
    r"(?:[ ]{1,2}(?:(?-i:[A-ZÀ-ÖØ-ÞĀ-Ž])\.?|(?:van|von|de|der|ten|da|di|le|la)|"
    r"(?-i:[A-ZÀ-ÖØ-ÞĀ-Ž])[^\W\d_'’-]*(?:[-'’][^\W\d_]+)?)){1,3})[ \t]*(?=\n|$)",
)


def known_name_spans(text: str, known_names: Iterable[str]) -> list[Span]:
    """Every part of the subject's known names, in any case, also in the genitive."""
    parts = {
        part
        for name in known_names
        if name
        for part in re.split(r"[\s,]+", name.strip())
        if len(part.strip(".")) >= 2
    }
    if not parts:
        return []
    alternation = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
    regex = re.compile(rf"(?<![\w])(?:{alternation})(?:['’]?s)?(?![\w])", re.IGNORECASE)
    return [(m.start(), m.end(), NAME) for m in regex.finditer(text)]


# A German noun naming a work, a storm, a genus or a model; the title after it is the
# thing's name, no person's: quoted after a work ("der Song „Till Death Do Us Part“",
# "das Buch „Anna“"), also unquoted after a storm, a genus or a model ("Orkan Kyrill",
# "Sturmtief Xaver", "die Gattung Desulfotomaculum"). Unquoted after a work it is as often
# the artist ("Füge das Lied Nastya Kamenskih hinzu"). Not "Sendung" or "Show", named
# after their hosts, nor "Roman" alone (a first name).
_WORK_BEFORE_RE = re.compile(
    r"(?<![\w-])(?:(?P<named>[A-ZÄÖÜ][^\W\d_]*(?:tief|hurrikan|taifun)|Orkan|Sturm|Tief|"
    r"Gattung|Modell)|[A-ZÄÖÜ][^\W\d_]*(?:album|film|roman|serie|musical|hörspiel|gedicht)|"
    r"Album|Film|Serie|Musical|Hörspiel|Gedicht|Single|Song|Lied|Buch|Spiel|Oper|Titel|"
    r"Revue|Gemälde|Bild)[ \t]+"
)
_QUOTED_TITLE_RE = re.compile(r"[\"„“»«‚'][^\"“”»«‘’'\n]{1,80}[\"“”»«‘’']")
_CAPITALISED_RUN_RE = re.compile(
    r"(?:[A-ZÄÖÜÀ-ÖØ-Þ][^\W_]*|\d+)(?:[ ](?:[A-ZÄÖÜÀ-ÖØ-Þ][^\W_]*|\d+)){0,3}(?![\w-])"
)


def work_title_spans(text: str) -> list[tuple[int, int]]:
    """Where a text names a work, a storm, a genus or a model by its title
    (`_WORK_BEFORE_RE`): the quoted title after the noun, or the capitalised words right
    after a storm, a genus or a model. A guess of
    a name there (a listed first name, the recogniser's, an unknown word) is the title's
    word. The noun does not start a sentence ("der Song", "nachdem Orkan")."""
    spans = []
    for match in _WORK_BEFORE_RE.finditer(text):
        before = text[max(0, match.start() - 5) : match.start()].rstrip()
        if not before or before[-1] in ".!?:\n":
            continue  # at a sentence's start: maybe a surname ("Song Li hat angerufen")
        title = _QUOTED_TITLE_RE.match(text, match.end())
        if title is None and match.group("named"):
            title = _CAPITALISED_RUN_RE.match(text, match.end())
        if title:
            # With the noun, unless it is a name too ("Song"): "Orkan Kyrill" is one guess.
            lexicon = name_lexicon()
            noun = match.group(0).rstrip().lower()
            named = noun in lexicon.first_names or noun in lexicon.all_last_names
            spans.append((title.start() if named else match.start(), title.end()))
    return spans


# "@lena_mueller": a social-media handle, pasted from a profile or a tweet (not an email).
_HANDLE_RE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_]{2,30}(?![\w@.]*\.[A-Za-z]{2,}\b)(?!\w)")


def handle_spans(text: str) -> list[Span]:
    if "@" not in text:
        return []
    return [(m.start(), m.end(), NAME) for m in _HANDLE_RE.finditer(text)]


def name_spans(
    text: str, *, known_names: Iterable[str] = (), locales: tuple[str, ...] = DEFAULT_NAME_LOCALES
) -> list[Span]:
    spans = known_name_spans(text, known_names)
    detector = _Detector(text, name_lexicon(locales))
    spans += [(start, end, NAME) for start, end in detector.spans()]
    spans += handle_spans(text)
    return spans
