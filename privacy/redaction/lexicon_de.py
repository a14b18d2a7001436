"""Capitalised words that are no person: places and German nouns (issue 15).

German capitalises every noun, and the small recogniser takes a rare one ("Arsenik",
"Metallurgie", "Herzschrittmacher") or a place ("Israel", "Siebenbürgen") for a
surname. Two shipped lists tell such words apart, by the post-filter of its guesses
(`recogniser._word_wordlike`):

- `place_names.txt`: countries, states, regions and cities in German and English, from
  Faker's address providers (MIT), lower-cased, each word of a place name on its own.
- `german_nouns.txt`: the capitalised words of the German spelling dictionary igerman98
  (Debian's `wngerman`, GPL-2+) that it also lists inflected (a plural, a dative), as
  written: a list that knows a word's case, which wordfreq's lower-cased frequencies do
  not ("Arm" the noun, not "arm"). A compound ending in one of them is a noun too
  ("Akustikgitarren").

Both leave out every word of any name list (first names and surnames of every Faker
locale the project reads) and every word the training text used as a PERSON: a
dictionary also holds "Müller", "Merkel" and "Paris". Written by
`manage.py redaction_lexicon_de --wordlist /usr/share/dict/ngerman --data-dir DIR`;
nothing is read at run time but the two files.
"""

import functools
import importlib
from collections.abc import Iterable
from pathlib import Path

import faker

# Modules, not their names: names imports this module (for its verbs of saying).
from privacy.redaction import chat_sentences, names
from privacy.redaction.word_lists import word_list_read

DIRECTORY = Path(__file__).resolve().parent
PLACE_NAMES_PATH = DIRECTORY / "place_names.txt"
GERMAN_NOUNS_PATH = DIRECTORY / "german_nouns.txt"

# Faker's address providers whose places a German-speaking shop's customers name, and
# their attributes that hold real places (not the generated "Lake Nicole" of en_US);
# the cities of the German-speaking countries only (it_IT has 16,559 comuni).
_REGIONS = ("countries", "states", "cantons", "counties", "regions", "provinces")
PLACE_SOURCES: dict[str, tuple[str, ...]] = {
    "de_DE": (*_REGIONS, "cities"),
    "de_AT": (*_REGIONS, "cities"),
    "de_CH": (*_REGIONS, "cities"),
    **dict.fromkeys(("en_US", "en_GB", "fr_FR", "it_IT", "nl_NL", "pl_PL", "es_ES"), _REGIONS),
}


@functools.cache
def place_names() -> frozenset[str]:
    """Lower-cased words of place names (empty when the shipped list is missing)."""
    return word_list_read(PLACE_NAMES_PATH)


@functools.cache
def german_nouns() -> frozenset[str]:
    """Capitalised German nouns (and other capitalised dictionary words), as written."""
    return word_list_read(GERMAN_NOUNS_PATH)


# A compound's head is a listed noun of at least this many letters, after at least
# _SHORTEST_MODIFIER letters ("Akustik|gitarren", "Herz|schrittmacher"). Shorter heads
# end too many surnames ("Heid|feld", "Hinden|burg", "Stein|meier").
_SHORTEST_HEAD = 5
_SHORTEST_MODIFIER = 3


def no_person_word(token: str) -> bool:
    """Whether a word is a place, a German noun or a compound ending in one, and so no
    name the lists miss."""
    lower = token.lower()
    places = place_names()
    if lower in places or (lower.endswith("s") and lower[:-1] in places):  # "Tirols"
        return True
    word = token[:1].upper() + token[1:].lower()
    return word in german_nouns() or any(
        _noun_head(word[start:].capitalize())
        for start in range(_SHORTEST_MODIFIER, len(word) - _SHORTEST_HEAD + 1)
    )


def _noun_head(head: str) -> bool:
    """A noun that ends a compound noun; not a name, which ends many surnames ("Becken|bauer",
    "Hart|mann")."""
    lexicon = names.name_lexicon()
    lower = head.lower()
    if lower in lexicon.first_names or lower in lexicon.all_last_names:
        return False
    # The list lacks some singulars it holds inflected ("Säuren", "Speichers").
    nouns = german_nouns()
    return head in nouns or head + "n" in nouns or head + "s" in nouns


# --- building the lists (`manage.py redaction_lexicon_de`) -----------------------------------


def _excluded_words(data_dir: Path) -> frozenset[str]:
    """Lower-cased words no list may hold: every name of the name lists and every word the
    German and English training text marks as (part of) a PERSON."""
    # Imported here: training imports the recogniser, which imports this module.
    from privacy.redaction.training import person_words

    locales = tuple(sorted({*chat_sentences.ALL_NAME_LOCALES, *names.DEFAULT_NAME_LOCALES}))
    lexicon = names.name_lexicon(locales)
    excluded = set(lexicon.first_names | lexicon.all_last_names)
    excluded |= set(person_words(data_dir=data_dir))
    return frozenset(excluded)


def place_names_build(*, data_dir: Path) -> list[str]:
    """The words of Faker's real places (PLACE_SOURCES), without names and training persons."""
    excluded = _excluded_words(data_dir)
    words: set[str] = set()
    for locale, attributes in PLACE_SOURCES.items():
        provider = importlib.import_module(f"faker.providers.address.{locale}").Provider
        for attribute in attributes:
            for place in _places(getattr(provider, attribute, ())):
                words |= {word.lower() for word in names.TOKEN_RE.findall(place) if len(word) > 2}
    return sorted(words - excluded)


def _places(value) -> Iterable[str]:
    # de_CH's cantons are (code, name) pairs; it_IT's provinces (name, code).
    for item in value:
        if isinstance(item, tuple):
            yield from (part for part in item if isinstance(part, str) and len(part) > 2)
        elif isinstance(item, str):
            yield item


# Endings of a German noun's inflected forms (plural, dative plural, genitive).
_INFLECTIONS = ("e", "en", "n", "er", "ern", "nen", "es", "ns")
# A word is a noun as the head of this many compounds of the list ("Säuren": "Fettsäuren",
# "Aminosäuren" …), and a stem as the first part of compounds with this many heads
# ("Speicher": "Speicherbedarf", "Speicherchip" …). Names are neither: of the words the
# training text marks as persons, "Hitler" came closest (4 heads).
_HEAD_OF_COMPOUNDS = 3
_MODIFIER_OF_HEADS = 6


def german_nouns_build(*, wordlist: Path, data_dir: Path) -> list[str]:
    """The nouns of a German spelling word list (one word a line), without names and
    training persons. A dictionary also holds persons and places ("Beckenbauer",
    "Stalin") with their genitive: a capitalised word counts as a noun when the list also
    holds it inflected otherwise ("Gitarre" with "Gitarren") or it is such a form itself,
    when it is the head of compounds of the list, or the first part of many."""
    excluded = _excluded_words(data_dir)
    words = {line.strip() for line in wordlist.read_text(encoding="utf-8").splitlines()}
    capitalised = {
        word
        for word in words
        if len(word) > 2
        and word[0].isupper()
        and not word.isupper()
        and names.TOKEN_RE.fullmatch(word)
        and "-" not in word
    }
    as_head: dict[str, int] = {}
    heads_after: dict[str, set[str]] = {}
    for word in capitalised:
        for start in range(_SHORTEST_MODIFIER, len(word) - 3):
            head = word[start:].capitalize()
            if head in capitalised:
                as_head[head] = as_head.get(head, 0) + 1
                heads_after.setdefault(word[:start], set()).add(head)

    def inflected(word: str) -> bool:
        return any(word + ending in words for ending in _INFLECTIONS) or any(
            word.endswith(ending) and word[: -len(ending)] in capitalised for ending in _INFLECTIONS
        )

    nouns = {
        word
        for word in capitalised
        if inflected(word) or as_head.get(word, 0) >= _HEAD_OF_COMPOUNDS
    }
    nouns |= {stem for stem, heads in heads_after.items() if len(heads) >= _MODIFIER_OF_HEADS}

    def name_form(word: str) -> bool:  # a name or its inflection ("Müllern", "Schmidts")
        lower = word.lower()
        return lower in excluded or any(
            lower.endswith(ending) and lower[: -len(ending)] in excluded
            for ending in (*_INFLECTIONS, "s")
        )

    return sorted(word for word in nouns if not name_form(word))


def lexicons_write(
    *, wordlist: Path, wordlist_source: str, data_dir: Path, output_dir: Path
) -> tuple[int, int]:
    """Write place_names.txt and german_nouns.txt to output_dir; (places, nouns) written."""
    places = place_names_build(data_dir=data_dir)
    _list_write(
        output_dir / PLACE_NAMES_PATH.name,
        places,
        source=f"Words of place names, lower-cased: Faker {faker.VERSION} address providers "
        "(countries, states, cities), MIT licence.",
    )
    nouns = german_nouns_build(wordlist=wordlist, data_dir=data_dir)
    _list_write(
        output_dir / GERMAN_NOUNS_PATH.name,
        nouns,
        source=f"German nouns, as written: {wordlist_source}.",
    )
    return len(places), len(nouns)


def _list_write(path: Path, words: list[str], *, source: str) -> None:
    header = (
        f"# {source}\n"
        "# Without every first name and surname of the name lists and every word the training\n"
        "# text used as a PERSON. Written by `manage.py redaction_lexicon_de --wordlist FILE\n"
        "# --data-dir DIR` (privacy/redaction/lexicon_de.py).\n"
    )
    path.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
