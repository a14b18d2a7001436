"""German capitalised words that are no known word at all: taken for names (issue 15).

German capitalises every noun, so a capitalised word alone is no name; but a word in
the middle of a German sentence that no list knows (no German noun, no frequent or
common word, no place, no medical word, no word of the shop's own knowledge base) is
most often an unlisted surname ("bekommt Jochum aus der Wirtschaft", "Dreßler gilt
als"), a name of another language ("Kaká", "Raj"), or a place or a company, which hiding
costs little. The small recogniser misses those without a cue; this rule does not ask
for one. It stays out of the places where German capitalises any word: the start of a
sentence or a line, after a colon, a quote or a bullet; out of acronyms, words with
digits or inner capitals and runs of English words; and it leaves a word where a noun or
a place stands: after a determiner or an adjective ("eine große Kehlwamme"), after a
preposition of places ("nach Helgoland"), before a model number ("Keynote 9").
Applied with the recogniser, in German text only (privacy.redaction.redaction_spans).
"""

import functools
import re

from privacy.redaction import lexicon_de, names, recogniser

# Before a word, these start a sentence, a clause that may start capitalised, or a list item.
_SENTENCE_STARTS = frozenset(".!?:;\"'„“”»«‚‘’()[]*•·>|/–—-\n")
_SHORTEST = 3
# Vowels of the scripts the name lists hold (Polish, Turkish, Nordic, Hungarian).
_VOWELS = frozenset("aeiouyäöüáàâãéèêëíìîïóòôõúùûıęąåøæœőű")
# Prepositions of places: the unknown word after one is a place far more often than a
# person ("Liefert ihr nach Helgoland?"), and places are no personal data on their own.
_PLACE_BEFORE = frozenset({"in", "nach", "aus", "nahe", "Richtung"})
# Endings of a German noun's inflected forms ("Altars", "Barone", "Unterbauten"), which
# are also the joints of compounds ("Abschreibungs|satz").
_INFLECTIONS = ("s", "es", "n", "en", "e", "er", "ern", "ns")
# Endings of German adjectives, participles and nouns made of them ("Unveränderliche",
# "Oberkommandierender", "Schlammfischartigen", "Wurmtrocknis", "Vegetative"),
# diminutives and Latin nouns ("Bildchen", "Observatorium").
_WORD_ENDING_RE = re.compile(
    r"(?:lich|isch|artig|haft)(?:e|en|er|es|em)?$|end(?:e|en|er|es|em)$|nis(?:se|sen)?$|tum$|"
    r"\w{4}(?:chen|lein|ium|iv(?:e|en|er|es|em))$|"
    # Nouns made with a suffix ("Verpixelung", "Plausibilität"; of the name lists' surnames
    # only "Hartung" and "Billung" end so, and the lists hide them), and alcohols
    # ("Methanol", "Butanol"; "Anatol", "Marisol" are names).
    r"\w{4}(?:ung|heit|keit|schaft|tion|ität|ismus|ologie|gramm|meter|thek)(?:en|s|e)?$|"
    r"\w{2}(?:an|en|yc|ox)ole?s?$"
)
# Chemical elements German writes without "-ium" (those with it end like a Latin noun);
# "Nickel", "Eisen" are also surnames and stay to the lists.
_ELEMENTS = frozenset(
    """chlor fluor brom jod argon neon xenon krypton radon arsen selen antimon wismut mangan
    kobalt chrom zink zinn platin phosphor wolfram molybdän vanadin""".split()
)
# Plurals German forms by replacing a Latin or Greek ending with "-en" ("Praxen" of
# "Praxis", "Zentren" of "Zentrum", "Viren" of "Virus", "Themen" of "Thema").
_REPLACED_ENDINGS = ("is", "um", "us", "a", "on")
# A short number after a word: a model or a version, not a phone number.
_MODEL_NUMBER_AFTER_RE = re.compile(r"[ \t]+['’]?\d{1,4}(?![\d.,:/-]|[ \t]*\d)")
# Parts of a compound are words of at least this many letters.
_SHORTEST_PART = 4
# A compound's head this long ends a compound noun whatever its first part.
_LONG_HEAD = 5


def german_sentence(text: str) -> bool:
    """Whether text is German by its function words (more German ones than English):
    not when undecided ("Compendia Bioscience Life Technologies")."""
    german_words, english_words = recogniser.function_words()
    words = [word.lower() for word in names.TOKEN_RE.findall(text)]
    return sum(word in german_words for word in words) > sum(
        word in english_words for word in words
    )


def unknown_word_spans(
    text: str, *, known_words: tuple[frozenset[str], ...] = ()
) -> list[names.Span]:
    """The capitalised words of a German text that are no known word (see the module),
    as NAME spans; `known_words`: sets of lower-cased words never taken (the allow-list,
    the shop's own words)."""
    model = recogniser.recogniser("de")
    # The words the German training text hardly ever saw as a name.
    non_names = model.non_names if model is not None else frozenset()
    english_only = recogniser.function_words()[1]
    spans = []
    matches = list(names.TOKEN_RE.finditer(text))
    for index, match in enumerate(matches):
        word = match.group(0)
        if (
            len(word) < _SHORTEST
            or not word[0].isupper()
            or word.isupper()
            or not word[1:].islower()
            and "-" not in word
            and "'" not in word
        ):
            continue
        start, end = match.span()
        if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            continue  # part of a code or a word with digits ("A4", "3Kaká")
        if _MODEL_NUMBER_AFTER_RE.match(text, end):
            continue  # a product and its model or version ("Surveyor 2001", "Keynote '08")
        if names.COMPOUND_PART_AFTER_RE.match(text, end):
            continue  # the first part of compounds ("Kamikaze -Einsätze", "Steuer- und Zolldaten")
        before = text[max(0, start - 20) : start].rstrip(" \t")
        if not before or before[-1] in _SENTENCE_STARTS:
            continue
        lower = word.lower()
        if not any(letter in _VOWELS for letter in lower):
            continue  # an abbreviation ("Mlrd", "Tsd"); names have a vowel ("Szűcs", "Søs")
        base = names.base_word(word)
        if any(lower in words or base in words for words in known_words):
            continue
        if _known(word, non_names):
            continue
        if index and _noun_before(matches[index - 1].group(0)):
            continue
        if index and matches[index - 1].group(0) in _PLACE_BEFORE:
            continue  # "nach Helgoland", "in Riedlingen": a place, no personal data
        if (
            index > 1
            and matches[index - 1].group(0).islower()
            and matches[index - 2].group(0).lower() in names.GERMAN_DETERMINERS
        ):
            continue  # "der neue Schlussmann", "eine große Kehlwamme"
        neighbours = [
            matches[position].group(0).lower()
            for position in (index - 1, index + 1)
            if 0 <= position < len(matches)
        ]
        if any(neighbour in english_only for neighbour in neighbours):
            continue  # a run of English words ("Powered by Stripe")
        spans.append((start, end, names.NAME))
    return spans


# Not cached: a cache keyed by the word would keep every unknown word a customer wrote,
# names above all, in the process's memory (bot.nlu.vocabulary keeps none either). The
# words no list holds as they are cost a few hundred set lookups each.
def _known(word: str, non_names: frozenset[str]) -> bool:
    """A word of a list (`recogniser.wordlike`), an inflected form of one, or known words
    written together ("Fichten|wald", "Lehr|plan")."""
    if "-" in word:
        # A compound whose head is a word ("Parmesan-Laibe", "B-Sprachen").
        # So is one after a German noun ("Esche-Ahorn"; names are no nouns of that list:
        # "Müller-Sönksen" stays a guess), a place or a compound noun ("Ludwigshafen-Oggersheim";
        # lexicon_de holds no name).
        first, head = word.split("-", 1)[0], word.rsplit("-", 1)[1]
        return (
            len(head) < 2
            or first.lower() in _lower_nouns()
            or lexicon_de.no_person_word(first)
            or _known(head, non_names)
        )
    if recogniser.wordlike(word, non_names, lowercase_text=False):
        return True
    lower = word.lower()
    if _WORD_ENDING_RE.search(lower) or names.german_role_word(word):
        return True
    return _inflected_known(lower) or _compound(lower)


@functools.cache
def _lower_words() -> frozenset[str]:
    """Frequent words and German nouns, lower-cased."""
    return names.frequent_words() | {noun.lower() for noun in lexicon_de.german_nouns()}


_UMLAUTS = str.maketrans("äöü", "aou")
_UMLAUTS_BACK = str.maketrans("aou", "äöü")


def _inflected_known(lower: str) -> bool:
    """A known word, one inflected (with an ending; a plural also with an umlaut:
    "Stürme", "Pfählen"), or one the lists hold only inflected ("Kauf" as "Käufe")."""
    known = _lower_words()
    if lower in known or lower in _ELEMENTS:
        return True
    if lower.endswith("en") and len(lower) - 2 >= _SHORTEST_PART:
        stem = lower[:-2]
        if any(stem + ending in known for ending in _REPLACED_ENDINGS):
            return True
    stems = {lower}
    if any(vowel in lower for vowel in "äöü"):
        stems.add(lower.translate(_UMLAUTS))
    if any(
        stem.endswith(ending)
        and len(stem) - len(ending) >= _SHORTEST
        and stem[: -len(ending)] in known
        for stem in stems
        for ending in _INFLECTIONS
    ):
        return True
    umlauted = _last_vowel_umlauted(lower)
    return any(lower + ending in known for ending in _INFLECTIONS) or bool(
        umlauted and (umlauted + "e" in known or umlauted + "er" in known)
    )


def _last_vowel_umlauted(lower: str) -> str:
    """ "kauf" -> "käuf", "stock" -> "stöck": the stem of an umlaut plural ("" without one)."""
    for position in range(len(lower) - 1, -1, -1):
        vowel = lower[position]
        if vowel in "aou":
            if vowel == "u" and position and lower[position - 1] == "a":
                position, vowel = position - 1, "a"  # "au" -> "äu"
            return lower[:position] + vowel.translate(_UMLAUTS_BACK) + lower[position + 1 :]
        if vowel in "eiyäöü":
            return ""
    return ""


def _compound(lower: str) -> bool:
    """Known words (or their inflections) written together, two or more; the head may
    also be a German noun that is a surname too ("Raten|kauf", "Unter|bau")."""
    reachable = [0] + [-1] * len(lower)  # parts of lower[:i], -1: no split
    for end in range(_SHORTEST_PART, len(lower) + 1):
        for start in range(0, end - _SHORTEST_PART + 1):
            if reachable[start] >= 0 and _inflected_known(lower[start:end]):
                reachable[end] = max(reachable[end], reachable[start] + 1)
    if reachable[-1] >= 2:
        return True
    if _leading_noun(lower):
        return True
    # A short word after known words ("Unter|bau", "Neben|job"), or a long head after anything: a
    # known word or a name ("Merino|wolle", "Raten|kauf"; names are also nouns: "Kauf",
    # "Wolle" are in name lists, so no noun list holds them).
    nouns = lexicon_de.german_nouns()
    lexicon = names.name_lexicon()
    stop_words = names.common_words()  # not "Halm|ich"
    for start in range(_SHORTEST, len(lower) - 2):
        head = lower[start:]
        if reachable[start] >= 1 and (
            head.capitalize() in nouns or (head not in stop_words and _inflected_known(head))
        ):
            return True
        if len(head) >= _LONG_HEAD and (
            _inflected_known(head) or head in lexicon.all_last_names or head in lexicon.first_names
        ):
            return True
    return False


@functools.cache
def _lower_nouns() -> frozenset[str]:
    """The German nouns of the shipped list, lower-cased (no word of a name list)."""
    return frozenset(noun.lower() for noun in lexicon_de.german_nouns())


def _leading_noun(lower: str) -> bool:
    """Whether the word starts with a German noun of `_LONG_HEAD` letters or more, with or
    without a joint ("Software|primus", "Eingangs|foyers", "Neben|job"), before at least
    `_SHORTEST` more letters: a compound noun whose head no list holds. Words of the name
    lists are no nouns of that list, so "Blumen|thal" stays a guess."""
    nouns = _lower_nouns()
    for cut in range(_LONG_HEAD, len(lower) - _SHORTEST + 1):
        part = lower[:cut]
        if part in nouns or any(
            part.endswith(joint)
            and len(part) - len(joint) >= _LONG_HEAD
            and part[: -len(joint)] in nouns
            for joint in _INFLECTIONS
        ):
            return True
    return False


def _noun_before(previous: str) -> bool:
    """Whether the word before is one that comes before a noun: a determiner or an
    adjective ("eine große Kehlwamme", "typographischer Schnörkel")."""
    return previous.lower() in names.GERMAN_DETERMINERS or names.german_adjective(previous)
