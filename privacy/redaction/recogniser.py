"""The trained name recogniser: a small spaCy `ner` per language, shipped in the project.

Each language's artefact lives in `privacy/redaction/models/<lang>/` (written by
`manage.py redaction_train`). Its `artefact.json` records what it was trained on
(data files, seed, configuration) and the SHA-256 of every file of the pipeline.
The pipeline is loaded once per process, lazily, from that directory only, never
from the network. A file whose checksum does not match refuses the whole artefact
with an error in the log (redaction then runs on patterns and name lists alone,
and the health check reports it): a silently swapped model would decide what
personal data is stored.
"""

import functools
import hashlib
import json
import logging
import re
import threading
from pathlib import Path
from typing import NamedTuple

from django.utils.translation import gettext as _

from privacy.redaction import lexicon_de, names
from privacy.redaction.medical_words import medical_word

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
ARTEFACT_FILE = "artefact.json"
# Words of the training text that are hardly ever names (written by the training).
NON_NAMES_FILE = "non_names.txt"
LANGUAGES = ("de", "en")
PERSON = "PERSON"
LOCATION = "LOCATION"
ORGANIZATION = "ORGANIZATION"

Span = tuple[int, int, str]

_lock = threading.Lock()
_loading = threading.local()


class ModelIntegrityError(Exception):
    """A file of an artefact is missing or differs from its recorded checksum."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def artefact_files(directory: Path) -> dict[str, str]:
    """Every file of a pipeline directory (but the artefact record) with its SHA-256."""
    return {
        path.relative_to(directory).as_posix(): file_sha256(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != ARTEFACT_FILE
    }


def artefact_read(directory: Path) -> dict:
    return json.loads((directory / ARTEFACT_FILE).read_text(encoding="utf-8"))


def artefact_verify(directory: Path) -> dict:
    """The artefact record, after checking every file against it (ModelIntegrityError)."""
    record = artefact_read(directory)
    expected: dict[str, str] = record["files"]
    actual = artefact_files(directory)
    changed = sorted(
        name for name in set(expected) | set(actual) if expected.get(name) != actual.get(name)
    )
    if changed:
        raise ModelIntegrityError(
            f"{directory}: {', '.join(changed)} differ from the recorded checksums"
        )
    return record


def model_directory(lang: str) -> Path:
    return MODELS_DIR / lang


@functools.cache
def _load(lang: str):
    """The pipeline of `lang`, or None (no artefact, or one that failed its checksum)."""
    directory = model_directory(lang)
    if not (directory / ARTEFACT_FILE).exists():
        logger.warning("No name recogniser for %r in %s.", lang, directory)
        return None
    try:
        record = artefact_verify(directory)
    except (ModelIntegrityError, OSError, ValueError, KeyError) as error:
        logger.error("Name recogniser for %r refused: %s", lang, error)
        return None
    # spaCy takes seconds to import: loaded on first use.
    import spacy

    # From the directory only: spacy.load on a path reads its files and nothing else.
    nlp = spacy.load(directory)
    non_names_path = directory / NON_NAMES_FILE
    non_names = (
        frozenset(non_names_path.read_text(encoding="utf-8").split())
        if non_names_path.exists()
        else frozenset()
    )
    logger.info(
        "Name recogniser for %r loaded (version %s).", lang, record.get("version", "unknown")
    )
    from thinc.api import get_current_ops  # with spaCy, loaded by now

    return Recogniser(nlp=nlp, non_names=non_names, ops=get_current_ops())


class Recogniser(NamedTuple):
    nlp: object  # spacy.Language
    non_names: frozenset[str]
    ops: object  # thinc's backend (numpy), found once at loading

    def __call__(self, text: str):
        self._ops_set()
        return self.nlp(text)

    def pipe(self, texts: list[str]) -> list:
        """The docs of several texts, read together: at 16 texts about a fifth of the
        CPU per text of reading them one by one (measured, issue 22)."""
        if len(texts) == 1:
            return [self(texts[0])]
        self._ops_set()
        return list(self.nlp.pipe(texts))

    def _ops_set(self) -> None:
        # thinc keeps its backend in a context variable; in a fresh context (the chat's
        # database thread runs each call in a copy of a short-lived task's) it searches
        # the package entry points for it again, for every call (issue 22).
        # Imported here: thinc comes with spaCy, loaded on first use (above).
        from thinc.backends import context_ops, set_current_ops

        if context_ops.get() is None:
            set_current_ops(self.ops)


def recogniser(lang: str) -> Recogniser | None:
    """The loaded pipeline for `lang` (None when it is missing or refused); once per process."""
    if lang not in LANGUAGES:
        return None
    if getattr(_loading, "active", False):
        # Re-entered while loading: the loader's own log line passes the log redaction,
        # which asks for the recogniser. Waiting for the lock would deadlock; that line
        # (no customer text in it) gets the patterns and lists only.
        return None
    with _lock:
        _loading.active = True
        try:
            return _load(lang)
        finally:
            _loading.active = False


def recogniser_reset() -> None:
    """Forget the loaded pipelines (tests; a deployment that replaced the artefact)."""
    with _lock:
        _load.cache_clear()


def _stat_signature(directory: Path) -> tuple:
    return tuple(
        (path.as_posix(), stat.st_size, stat.st_mtime_ns)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and (stat := path.stat())
    )


@functools.lru_cache(maxsize=8)
def _status(directory: Path, signature: tuple) -> tuple[bool, str, str]:
    del signature  # only the cache key: the files are hashed again when they change
    try:
        record = artefact_verify(directory)
    except (ModelIntegrityError, OSError, ValueError, KeyError) as error:
        return False, "", str(error)
    return True, str(record.get("version", "unknown")), ""


def recogniser_status(lang: str) -> tuple[bool, str, str]:
    """(intact, version, problem) of the artefact of `lang`; hashed again only when its
    files change, so the health check stays cheap."""
    directory = model_directory(lang)
    if not (directory / ARTEFACT_FILE).exists():
        return False, "", f"no artefact in {directory}"
    return _status(directory, _stat_signature(directory))


def redaction_model_health():
    """Health check: each language's recogniser is present and matches its checksums."""
    # Here: the logging filter imports this module before Django loads the models, which
    # platform_core.health's heartbeats read.
    from platform_core.health import HealthResult

    results = []
    for lang in LANGUAGES:
        intact, version, problem = recogniser_status(lang)
        if intact:
            summary = _("The name recogniser (%(lang)s) is intact.") % {"lang": lang}
        else:
            summary = _(
                "The name recogniser (%(lang)s) is refused: names are found by lists and "
                "phrases only."
            ) % {"lang": lang}
        results.append(
            HealthResult(
                name=f"privacy.redaction_model.{lang}",
                ok=intact,
                summary=summary,
                details={"version": version, "problem": problem},
            )
        )
    return results


def recogniser_warm_up() -> None:
    """Load every language's recogniser now (at start-up), not for the first message."""
    for lang in LANGUAGES:
        nlp = recogniser(lang)
        if nlp is not None:
            nlp("Hallo Erika, hier ist John.")


_WORD_RE = re.compile(r"[^\W\d_]+")


@functools.cache
def function_words() -> tuple[frozenset[str], frozenset[str]]:
    """Stop words only German has, and only English has ("und", "the")."""
    # spaCy takes seconds to import: loaded on first use.
    from spacy.lang.de.stop_words import STOP_WORDS as GERMAN
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH

    return frozenset(GERMAN - ENGLISH), frozenset(ENGLISH - GERMAN)


@functools.cache
def _stop_words() -> frozenset[str]:
    """spaCy's German and English stop words ("will", "long")."""
    # spaCy takes seconds to import: loaded on first use.
    from spacy.lang.de.stop_words import STOP_WORDS as GERMAN
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH

    return frozenset(GERMAN | ENGLISH)


def text_language(text: str) -> str:
    """ "de" or "en", by the function words a message is full of (cheap, no model); German
    when undecided, the shop's first language."""
    german_words, english_words = function_words()
    words = [word.lower() for word in _WORD_RE.findall(text)]
    german = sum(word in german_words for word in words) + 2 * len(re.findall(r"[äöüß]", text))
    english = sum(word in english_words for word in words)
    return "en" if english > german else "de"


# An abbreviation before a number ("Max. 3 Stück", "Nr. 5") is no name.
_ABBREVIATION_AFTER_RE = re.compile(r"\.[ ]?\d")
# Heads of German compounds that name things in a support chat ("Lieferadresse",
# "Policennummer", "Neukunde"): a word ending in one is no surname the lists miss.
_COMPOUND_HEADS = (
    "adresse", "nummer", "kunde", "kundin", "netz", "konto", "rechnung", "bestellung",
    "lieferung", "paket", "karte", "code", "service", "dienst", "zeit", "geld", "datum",
    "preis", "ware", "termin", "vertrag", "versand", "schein", "stelle", "mail", "seite",
)  # fmt: skip


def wordlike(token: str, non_names: frozenset[str], *, lowercase_text: bool) -> bool:
    if "-" in token.strip("-"):
        # A compound or a slug ("order-status", "Gift-Card") is a word when its parts are;
        # three parts and more are a slug ("edit-personal-details"), no double-barrelled name.
        return token.strip("-").count("-") >= 2 or all(
            wordlike(part, non_names, lowercase_text=lowercase_text)
            for part in token.split("-")
            if part
        )
    return _word_wordlike(token, non_names, lowercase_text=lowercase_text)


def _word_wordlike(token: str, non_names: frozenset[str], *, lowercase_text: bool) -> bool:
    """A word that is no name the lists miss: a common word, one the training text hardly
    ever saw as a name, a frequent word of either language, a German medical word
    ("Metformin", "Hypertonie", "Chefarzt"), an acronym, a noun by its ending or its
    compound head, a place or a German noun of the dictionary (lexicon_de), or (in a
    text with capitals) a word written in lower case."""
    lower = token.lower()
    return (
        (token[0].islower() and not lowercase_text)
        or lower in names.common_words()
        or lower in non_names
        or lower in names.frequent_words()
        or medical_word(lower)
        or (token.isupper() and len(token) > 1 and not lowercase_text)
        or names.NOUN_SUFFIX_RE.search(lower) is not None
        or any(lower.endswith(head) and len(lower) > len(head) for head in _COMPOUND_HEADS)
        or lexicon_de.no_person_word(token)
    )


def _listed_name(token: str) -> bool:
    lexicon = names.name_lexicon()
    lower = token.lower()
    return len(token) > 1 and (lower in lexicon.first_names or lower in lexicon.last_names)


def _plausible_person(text: str, start: int, end: int, non_names: frozenset[str]) -> bool:
    """Whether a PERSON guess of the recogniser can be a name: not when it is made only of
    word-like tokens (`wordlike`), nor a field label ("Festnetz:") or an abbreviation
    ("Max. 3"); always when one of its words is in a name list."""
    tokens = names.TOKEN_RE.findall(text, start, end)
    if not tokens:
        return False
    if "@" in text[max(0, start - 1) : end]:
        return True  # a social-media handle names its person, whatever its words
    if "_" in text[max(0, start - 1) : end + 1]:
        return False  # an identifier ("checksum_mismatch", "gift_cards"), not a name
    if any(_listed_name(token) for token in tokens):
        return not (len(tokens) == 1 and _ABBREVIATION_AFTER_RE.match(text, end))
    if len(tokens) == 1 and re.match(r"[ \t]*:", text[end:]):
        return False
    lowercase_text = not any(ch.isupper() for ch in text)
    if len(tokens) == 1 and not lowercase_text and _surname_word(tokens[0], non_names):
        return True
    return not all(wordlike(t, non_names, lowercase_text=lowercase_text) for t in tokens)


def _surname_word(token: str, non_names: frozenset[str]) -> bool:
    """A capitalised word that is a surname of a name list and also a frequent word
    ("Church", "Young"): the lists leave it out, as a word; the model's guess of it alone
    stands, unless the training text hardly ever saw it as a name, or it is a German noun
    or a place ("Richter", "Bauer", "Hudson": more often the word than the person)."""
    lower = token.lower()
    return (
        len(token) > 2
        and token[0].isupper()
        and token[1:].islower()
        and lower in names.name_lexicon().all_last_names
        and lower not in _stop_words()
        and lower not in non_names
        and not medical_word(lower)
        and not lexicon_de.no_person_word(token)
    )


def _has_candidate(text: str, non_names: frozenset[str]) -> bool:
    """Whether any word of text could end up in a plausible PERSON span. Without one the
    model's answer would be dropped anyway, so it is not asked (most messages hold no
    name: this keeps them at the patterns' cost)."""
    lowercase_text = not any(ch.isupper() for ch in text)
    return any(
        _listed_name(token) or not wordlike(token, non_names, lowercase_text=lowercase_text)
        for token in names.TOKEN_RE.findall(text)
    )


def _title_trimmed(text: str, start: int, end: int) -> int:
    """The start of a PERSON guess without the title before the name ("Mrs. Johnson")."""
    match = names.TITLE_RE.match(text, start, end)
    return match.end() if match and match.end() < end else start


_LOWER_CASE_WORD_RE = re.compile(r"([^\W\d_]+)[ \t]+")


def _lower_case_trimmed(text: str, start: int, end: int) -> int:
    """Where a PERSON guess starts without the lower-case words it begins with in a text
    with capitals ("hohen Holzzaun", "heiligen Clara"); a name's particle stays ("von
    Oetker", "de Sousa")."""
    if not any(ch.isupper() for ch in text):
        return start
    trimmed = start
    while match := _LOWER_CASE_WORD_RE.match(text, trimmed, end):
        word = match.group(1)
        if not word.islower() or word in names.PARTICLES:
            break
        trimmed = match.end()
    return trimmed


def _listed_after_lower_case(text: str, start: int, end: int) -> bool:
    """Whether what follows the lower-case words of a guess holds a listed name: an
    adjective before a noun makes the model take a rare noun for a name ("einem 2,5 m
    hohen Holzzaun"); before a name it is an epithet ("der heiligen Clara")."""
    return any(_listed_name(token) for token in names.TOKEN_RE.findall(text, start, end))


def _frequent_compound(word: str, *, shortest: int = 3) -> bool:
    """Whether a word is frequent words written together ("Timezone", "Ratebook",
    "searchcreativework"): two or more parts of at least `shortest` letters each."""
    lower = word.lower()
    frequent = names.frequent_words()
    reachable = [True] + [False] * len(lower)  # reachable[i]: lower[:i] splits into words
    parts = [0] * (len(lower) + 1)
    for end in range(shortest, len(lower) + 1):
        for start in range(0, end - shortest + 1):
            if reachable[start] and lower[start:end] in frequent:
                if not reachable[end] or parts[start] + 1 > parts[end]:
                    reachable[end], parts[end] = True, parts[start] + 1
    return reachable[-1] and parts[-1] >= 2


def _plausible_in_label(text: str, start: int, end: int, non_names: frozenset[str]) -> bool:
    """Stricter than `_plausible_person`, for a title, a slug or a code: without a sentence
    around it the model guesses from the words alone, and takes title-cased shop words for
    names ("Cook Time", "Todo List", "Weather"). A guess stays when none of its words is
    a frequent or common word, frequent words written together, or an acronym; and when
    it is the whole label, or the label capitalises every word ("Top Up By Cash Or
    Cheque"), only if one of its words is in a name list."""
    tokens = names.TOKEN_RE.findall(text, start, end)
    if not any(_listed_name(token) for token in tokens):
        whole_label = not text[:start].strip(" \t-_:/") and not text[end:].strip(" \t-_:/?!.")
        title_cased = all(word[0].isupper() for word in names.TOKEN_RE.findall(text))
        if whole_label or title_cased:
            return False
    if _beside_a_capitalised_word(text, start, end):
        return False
    for token in tokens:
        lower = token.lower()
        if (
            lower in names.frequent_words()
            or lower in names.common_words()
            or lower in non_names
            or (token.isupper() and len(token) > 1)
            or _frequent_compound(token)
        ):
            return False
    return True


def _beside_a_capitalised_word(text: str, start: int, end: int) -> bool:
    """A one-word guess joined to a capitalised frequent or common word in a label: a
    listed surname that is a word in a shop's title ("Cook Time", "Smart Home")."""
    if len(names.TOKEN_RE.findall(text, start, end)) != 1:
        return False
    before = re.search(r"([^\W\d_]+)[ \t]+$", text[:start])
    after = re.match(r"[ \t]+([^\W\d_]+)", text[end:])
    return any(
        match
        and match.group(1)[0].isupper()
        and (
            match.group(1).lower() in names.frequent_words()
            or match.group(1).lower() in names.common_words()
        )
        for match in (before, after)
    )


def recogniser_spans(
    text: str,
    *,
    lang: str | None = None,
    labels: tuple[str, ...] = (PERSON,),
    label_text: bool = False,
) -> list[Span]:
    """The entities the recogniser finds in text, as (start, end, label) with its labels.

    PERSON guesses lose a leading title and are dropped when they cannot be a name
    (see `_plausible_person`): the small model, trained mostly on news, takes some
    capitalised German nouns for surnames. `label_text` marks a title, a slug or a code
    (short, without sentence context): capitalisation is the model's main evidence, so a
    label in lower case only is left to the lists, and guesses must pass
    `_plausible_in_label` as well."""
    return recogniser_spans_many([text], lang=lang, labels=labels, label_text=label_text)[0]


def recogniser_spans_many(
    texts: list[str],
    *,
    lang: str | None = None,
    labels: tuple[str, ...] = (PERSON,),
    label_text: bool = False,
) -> list[list[Span]]:
    """`recogniser_spans` of each text; the texts that need the model are read together
    (Recogniser.pipe), per language."""
    asked: dict[str, tuple[Recogniser, list[int]]] = {}
    for position, text in enumerate(texts):
        if not text.strip() or (label_text and not any(ch.isupper() for ch in text)):
            continue
        language = lang or text_language(text)
        model = recogniser(language)
        if model is not None and _has_candidate(text, model.non_names):
            asked.setdefault(language, (model, []))[1].append(position)
    found: list[list[Span]] = [[] for _ in texts]
    for language, (model, positions) in asked.items():
        # The strings spaCy adds to the vocabulary for these texts (the names it is to find)
        # are freed once the spans are read, not kept for the process's lifetime.
        with model.nlp.memory_zone():
            docs = model.pipe([texts[position] for position in positions])
            for position, doc in zip(positions, docs, strict=True):
                found[position] = _entity_spans(
                    texts[position], doc, model, labels, label_text, german=language == "de"
                )
    return found


def _entity_spans(
    text: str, doc, model: Recogniser, labels: tuple[str, ...], label_text: bool, *, german: bool
) -> list[Span]:
    spans = []
    for ent in doc.ents:
        if ent.label_ not in labels:
            continue
        start, end = ent.start_char, ent.end_char
        if ent.label_ == PERSON:
            start = _title_trimmed(text, start, end)
            # German only: English posts write first names in lower case ("bo Burnham").
            named_from = _lower_case_trimmed(text, start, end) if german else start
            if named_from != start and not _listed_after_lower_case(text, named_from, end):
                continue  # the whole guess stays otherwise: "max Müller" is a name too
            if not _plausible_person(text, start, end, model.non_names):
                continue
            if label_text and not _plausible_in_label(text, start, end, model.non_names):
                continue
        spans.append((start, end, ent.label_))
    return spans
