"""German medical vocabulary: drug, diagnosis and anatomy words that are no names.

The name recogniser, trained mostly on news, takes rare capitalised medical nouns for
surnames ("Metformin", "Ceftriaxon", "Hypertonie"), and roles and documents of a letter
("Chefarzt", "Arztbrief"). A guess of the model made only of such words is dropped
(`medical_word`, asked by `recogniser._word_wordlike`); the patterns, the name lists and the
conversation's known names are not filtered by it.

The shipped list is derived from Debian's `wgerman-medical` (the medicalterms word list by
Tobias Quathamer, GPL-3.0-or-later) by `manage.py redaction_medical_words`: lower-cased,
without every first name and surname of Faker's person lists in any locale, so that a
doctor called "Basedow" or "Parkinson" stays a name to the recogniser.
"""

import functools
import hashlib
import importlib
import pkgutil
from collections.abc import Iterable
from pathlib import Path

from privacy.redaction.names import TOKEN_RE, name_lexicon
from privacy.redaction.word_lists import word_list_read

MEDICAL_WORDS_PATH = Path(__file__).resolve().parent / "medical_words_de.txt"
# Debian's package and the file of it the list is derived from.
SOURCE_PACKAGE = "wgerman-medical"
SOURCE_FILE = "/usr/share/dict/german-medical"
SOURCE_LICENCE = "GPL-3.0-or-later"


@functools.cache
def medical_words() -> frozenset[str]:
    """The shipped German medical words (lower case; empty when the file is missing)."""
    return word_list_read(MEDICAL_WORDS_PATH)


# Heads of German clinical compounds ("Chefarzt", "Assistenzärztin", "Arztbrief",
# "Entlassungsbericht", "Schmerztherapie"): roles and documents of a letter, no surnames
# (none of Faker's surnames ends in one but "Pfleger", which is the whole word).
_CLINICAL_HEADS = (
    "arzt", "ärztin", "ärzte", "ärzten", "ärztinnen", "therapie", "therapeut", "therapeutin",
    "befund", "befunde", "bericht", "brief", "diagnose", "diagnosen", "klinik", "station",
    "pflege", "pfleger", "pflegerin", "praxis", "ambulanz", "medizin",
)  # fmt: skip
# The heads alone are words too, but "Pfleger" is a surname: a head needs a word before it.
_CLINICAL_HEAD_WORDS = frozenset(_CLINICAL_HEADS)


def medical_word(lower: str) -> bool:
    """Whether a lower-cased word is a German medical word: in the shipped list, or a
    compound with a clinical head."""
    return lower in medical_words() or (
        lower.endswith(_CLINICAL_HEADS) and lower not in _CLINICAL_HEAD_WORDS
    )


def faker_name_locales() -> tuple[str, ...]:
    """Every locale Faker has a person provider for."""
    package = importlib.import_module("faker.providers.person")
    return tuple(sorted(module.name for module in pkgutil.iter_modules(package.__path__)))


def medical_words_build(source_words: Iterable[str]) -> list[str]:
    """The words of a medical word list, lower-cased, that are no first name or surname in
    any of Faker's locales (also those that are common words: "Koch" is a surname)."""
    lexicon = name_lexicon(faker_name_locales())
    names = lexicon.first_names | lexicon.all_last_names
    words = {word.strip().lower() for word in source_words}
    return sorted(
        word for word in words if len(word) > 1 and TOKEN_RE.fullmatch(word) and word not in names
    )


def medical_words_write(path: Path, words: list[str], *, source: Path, version: str) -> None:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    header = (
        "# German medical words that are no names: a PERSON guess of the name recogniser\n"
        "# made only of them is dropped (privacy/redaction/medical_words.py).\n"
        f"# Source: Debian package {SOURCE_PACKAGE} {version}, {SOURCE_FILE}\n"
        f"# (SHA-256 {digest}),\n"
        "# the medicalterms word list, (c) 2005-2016 Tobias Quathamer,\n"
        "# https://github.com/toddy15/medicalterms, based on igerman98 by Bjoern Jacke.\n"
        f"# Licence: {SOURCE_LICENCE}; this derived list is under the same licence\n"
        "# (combined with the project's AGPL-3.0-or-later by section 13 of both licences;\n"
        "# its text: medical_words_de.LICENSE).\n"
        "# Lower-cased, without the first names and surnames of Faker's person lists of\n"
        "# every locale. Written by `manage.py redaction_medical_words --source FILE\n"
        "# --source-version VERSION`.\n"
    )
    path.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
