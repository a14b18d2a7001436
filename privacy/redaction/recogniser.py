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

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
ARTEFACT_FILE = "artefact.json"
LANGUAGES = ("de", "en")
PERSON = "PERSON"
LOCATION = "LOCATION"
ORGANIZATION = "ORGANIZATION"

Span = tuple[int, int, str]

_lock = threading.Lock()


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
    import spacy

    # From the directory only: spacy.load on a path reads its files and nothing else.
    nlp = spacy.load(directory)
    logger.info(
        "Name recogniser for %r loaded (version %s).", lang, record.get("version", "unknown")
    )
    return nlp


def recogniser(lang: str):
    """The loaded pipeline for `lang` (None when it is missing or refused); once per process."""
    if lang not in LANGUAGES:
        return None
    with _lock:
        return _load(lang)


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
    from django.utils.translation import gettext as _

    from supportdesk.health import HealthResult

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


_GERMAN_HINT_RE = re.compile(
    r"\b(?:ich|und|nicht|ist|mein|meine|habe|bitte|danke|der|die|das|mit|für|wir|sie|"
    r"grüße|hallo|frau|herr|hat|auf|bei|noch|schon|wann|warum|kann|bin)\b|[äöüß]",
    re.IGNORECASE,
)
_ENGLISH_HINT_RE = re.compile(
    r"\b(?:i|and|not|is|my|have|please|thanks|the|with|for|we|you|hello|hi|mrs|mr|has|at|"
    r"still|already|when|why|can|am|was|it|this|to|of)\b",
    re.IGNORECASE,
)


def text_language(text: str) -> str:
    """ "de" or "en", by the short function words a message is full of (cheap, no model)."""
    german = len(_GERMAN_HINT_RE.findall(text))
    english = len(_ENGLISH_HINT_RE.findall(text))
    return "de" if german > english else "en" if english > german else "de"


def recogniser_spans(
    text: str, *, lang: str | None = None, labels: tuple[str, ...] = (PERSON,)
) -> list[Span]:
    """The entities the recogniser finds in text, as (start, end, label) with its labels."""
    if not text.strip():
        return []
    nlp = recogniser(lang or text_language(text))
    if nlp is None:
        return []
    doc = nlp(text)
    return [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents if ent.label_ in labels]
