"""Redaction: personal data replaced by typed placeholders before text is stored redacted.

`redaction_spans` finds what to hide, `text_redact` hides it. The detectors:

- privacy/redaction/patterns.py: what is recognisable by its form (emails, phones,
  checksum-valid IBANs, Luhn-valid card numbers, customer/order/document numbers
  after their keyword, codes shaped like ids without one ("die Erstattung für BX-77342291"),
  dates in a birth context);
- privacy/redaction/address.py: street and house number, post boxes, postcodes with
  their city, grown over the lines of an address block;
- privacy/redaction/names.py: the subject's known name, introductions, titles, signatures,
  first names from Faker's lists and the words beside them;
- privacy/redaction/recogniser.py: a trained spaCy name recogniser per language (shipped
  in privacy/redaction/models/, checksummed), for the names no list or phrase reveals:
  a surname alone, a third party, a lower-case or misspelt name;
- privacy/redaction/unknown_words.py: with the recogniser, in German text, a capitalised
  word mid-sentence that no list knows (an unlisted surname, a foreign name).

Patterns stay authoritative for structured data (their spans win overlaps); the
recogniser only adds names. Words on the admin's allow-list (privacy/redaction/allow_list.py,
products that look like names) are never hidden as names, unless they are part of the
subject's known name; the words of the shop's knowledge base are never a guess (of the
recogniser or of the unknown-word rule).

Everything they load (name lists, compiled patterns) is loaded once per process, lazily.
Every caller goes through `text_redact` (or `texts_redact`, the same gate for many texts
at once), so they all get each improvement.
"""

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from privacy.redaction import address as redaction_address
from privacy.redaction import allow_list, names, recogniser, unknown_words
from privacy.redaction import patterns as redaction_patterns

NAME = names.NAME
EMAIL = redaction_patterns.EMAIL
PHONE = redaction_patterns.PHONE
IBAN = redaction_patterns.IBAN
CREDIT_CARD = redaction_patterns.CREDIT_CARD
ADDRESS = redaction_address.ADDRESS
DATE_OF_BIRTH = redaction_patterns.DATE_OF_BIRTH
ID = redaction_patterns.ID
LABELS = (NAME, EMAIL, PHONE, IBAN, CREDIT_CARD, ADDRESS, DATE_OF_BIRTH, ID)

# Where detections overlap, the earlier label wins: the narrower, validated
# patterns are more certain than the address and name heuristics.
_PRIORITY = {
    label: rank
    for rank, label in enumerate(
        (EMAIL, IBAN, CREDIT_CARD, ID, PHONE, DATE_OF_BIRTH, ADDRESS, NAME)
    )
}
# Neighbouring spans of one label become one placeholder when only this separates them.
_JOINABLE_GAP = {NAME: " \t-", ADDRESS: " \t,\n>·|/-–"}

PLACEHOLDER_NAME = f"[{NAME}]"


class RedactionSpan(NamedTuple):
    start: int
    end: int
    label: str


def _setting(name: str, default):
    # Read at call time, so tests and deployments can change it; outside Django
    # (a benchmark script without settings) the defaults apply.
    try:
        return getattr(settings, name, default)
    except ImproperlyConfigured:
        return default


def _resolve(spans: list[tuple[int, int, str]], text: str) -> list[RedactionSpan]:
    """Non-overlapping spans: higher-priority labels keep their span, others keep the rest."""
    taken: list[tuple[int, int]] = []
    kept: list[RedactionSpan] = []
    for start, end, label in sorted(spans, key=lambda s: (_PRIORITY[s[2]], s[0], -s[1])):
        pieces = [(start, end)]
        for taken_start, taken_end in taken:
            pieces = [
                piece
                for piece_start, piece_end in pieces
                for piece in (
                    (piece_start, min(piece_end, taken_start)),
                    (max(piece_start, taken_end), piece_end),
                )
                if piece[0] < piece[1]
            ]
        for piece_start, piece_end in pieces:
            # Trim what is not data: the blanks and punctuation at a piece's edges.
            while (
                piece_start < piece_end
                and not text[piece_start].isalnum()
                and (text[piece_start] not in "+(#@")
            ):
                piece_start += 1
            while (
                piece_end > piece_start
                and not text[piece_end - 1].isalnum()
                and (text[piece_end - 1] not in ".)")
            ):
                piece_end -= 1
            if any(ch.isalnum() for ch in text[piece_start:piece_end]):
                taken.append((piece_start, piece_end))
                kept.append(RedactionSpan(piece_start, piece_end, label))
    kept.sort()
    merged: list[RedactionSpan] = []
    for span in kept:
        if merged:
            previous = merged[-1]
            gap = text[previous.end : span.start]
            joinable = _JOINABLE_GAP.get(span.label)
            if previous.label == span.label and joinable and all(ch in joinable for ch in gap):
                merged[-1] = RedactionSpan(previous.start, span.end, span.label)
                continue
        merged.append(span)
    return merged


def _allowed_removed(
    spans: list[tuple[int, int, str]], text: str, allowed: frozenset[str]
) -> list[tuple[int, int, str]]:
    """Name spans without the allowed words in them ("Paula Kleid" keeps nothing, "Frau
    Paula Meier" keeps "Meier")."""
    if not allowed:
        return spans
    kept = []
    for start, end, label in spans:
        position = start
        for match in names.TOKEN_RE.finditer(text, start, end):
            if names.base_word(match.group(0)) in allowed or match.group(0).lower() in allowed:
                if match.start() > position:
                    kept.append((position, match.start(), label))
                position = match.end()
        if position < end:
            kept.append((position, end, label))
    return kept


def redaction_spans(
    text: str,
    *,
    known_names: Iterable[str] = (),
    id_patterns: Sequence[str] | None = None,
    name_locales: Sequence[str] | None = None,
    language: str | None = None,
    use_recogniser: bool = True,
    allowed_words: Iterable[str] | None = None,
    label_text: bool = False,
) -> list[RedactionSpan]:
    """The personal data in text, as sorted, non-overlapping spans with their labels.

    `id_patterns` default to settings.REDACTION_ID_PATTERNS (regexes; a group named
    "id" marks the part to hide), `name_locales` to settings.REDACTION_NAME_LOCALES.
    `language` ("de", "en") picks the name recogniser; without it the text's function
    words decide; in German text the recogniser comes with the rule that takes a
    capitalised word no list knows for a name (privacy/redaction/unknown_words.py).
    `use_recogniser=False` runs patterns and name lists only (the baseline of
    `redact_eval`). `allowed_words` default to the admin's allow-list.
    `label_text` marks a title, a slug or a code: a short text without sentence context,
    where the recogniser is stricter (`recogniser.recogniser_spans`).
    """
    text = str(text)  # a str subclass (a TextChoices value, a lazy string) breaks spaCy
    recognised = (
        recogniser.recogniser_spans(text, lang=language, label_text=label_text)
        if use_recogniser
        else []
    )
    return _spans_with(
        text,
        recognised,
        known_names=known_names,
        options=_options(id_patterns, name_locales, allowed_words),
        # With the recogniser (its post-filter's knowledge), not in the baseline.
        unknown_words_too=use_recogniser
        and not label_text
        and language in (None, "de")
        and unknown_words.german_sentence(text),
    )


class _Options(NamedTuple):
    id_patterns: Sequence[str]
    name_locales: tuple[str, ...]
    allowed: frozenset[str]
    # Never taken for a name by a guess (the recogniser's or an unknown word's): the
    # allowed words and the shop's words (allow_list.shop_words).
    known: tuple[frozenset[str], frozenset[str]]


def _options(
    id_patterns: Sequence[str] | None,
    name_locales: Sequence[str] | None,
    allowed_words: Iterable[str] | None,
) -> _Options:
    """The arguments of `redaction_spans`, their defaults filled in (read once for a batch
    of texts: reading a setting Django does not define costs an exception)."""
    if id_patterns is None:
        id_patterns = _setting("REDACTION_ID_PATTERNS", redaction_patterns.DEFAULT_ID_PATTERNS)
    if name_locales is None:
        name_locales = _setting("REDACTION_NAME_LOCALES", names.DEFAULT_NAME_LOCALES)
    allowed = (
        allow_list.allowed_words()
        if allowed_words is None
        else frozenset(word.lower() for word in allowed_words)
    )
    return _Options(id_patterns, tuple(name_locales), allowed, (allowed, allow_list.shop_words()))


def _spans_with(
    text: str,
    recognised: list[recogniser.Span],
    *,
    known_names: Iterable[str],
    options: _Options,
    unknown_words_too: bool,
) -> list[RedactionSpan]:
    """redaction_spans with what the recogniser found in text (its spans) given;
    `unknown_words_too`: a German sentence, where a capitalised word no list knows is
    taken for a name (privacy/redaction/unknown_words.py)."""
    id_patterns, name_locales, allowed, known = options
    spans = [
        *redaction_patterns.pattern_spans(text, id_patterns=id_patterns),
        *redaction_address.address_spans(text),
    ]
    # A code inside an address is its postcode or house number; one that only overlaps
    # an address's edge is where the address grew too far ("… 41070 Ebern\nBefund-Nr. H").
    spans += [
        code
        for code in redaction_patterns.code_spans(text)
        if not any(
            (start <= code[0] and code[1] <= end)
            if label == ADDRESS
            else (start < code[1] and code[0] < end)
            for start, end, label in spans
        )
    ]
    spans += _allowed_removed(names.contact_header_spans(text, data_spans=spans), text, allowed)
    detected = names.name_spans(text, locales=name_locales)
    # The shop's own words (its knowledge base: products, brands) are no guessed names.
    detected += _allowed_removed(
        [(start, end, NAME) for start, end, _ in recognised], text, known[1]
    )
    if unknown_words_too:
        detected += unknown_words.unknown_word_spans(text, known_words=known)
    # A work's, a product's or a storm's title holds no person ("Orkan Kyrill").
    titles = names.work_title_spans(text)
    if titles:
        detected = [
            span
            for span in detected
            if not any(start <= span[0] and span[1] <= end for start, end in titles)
        ]
    found_names = names.known_name_spans(text, known_names) + _allowed_removed(
        detected, text, allowed
    )
    spans += found_names
    spans += _allowed_removed(names.coreference_spans(text, name_spans=found_names), text, allowed)
    return _resolve(spans, text)


def spans_apply(text: str, spans: Iterable[RedactionSpan]) -> str:
    """text with each span replaced by its placeholder, e.g. "[EMAIL]"."""
    parts = []
    position = 0
    for span in sorted(spans):
        parts.append(text[position : span.start])
        parts.append(f"[{span.label}]")
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def text_redact(
    text: str,
    *,
    known_names: Iterable[str] = (),
    id_patterns: Sequence[str] | None = None,
    name_locales: Sequence[str] | None = None,
    language: str | None = None,
    use_recogniser: bool = True,
    allowed_words: Iterable[str] | None = None,
    label_text: bool = False,
) -> str:
    """text with personal data replaced by [NAME], [EMAIL], [PHONE], [IBAN], [CREDIT_CARD],
    [ADDRESS], [DATE_OF_BIRTH] and [ID]. The arguments are those of `redaction_spans`."""
    spans = redaction_spans(
        text,
        known_names=known_names,
        id_patterns=id_patterns,
        name_locales=name_locales,
        language=language,
        use_recogniser=use_recogniser,
        allowed_words=allowed_words,
        label_text=label_text,
    )
    return spans_apply(text, spans)


def texts_redact(texts: Sequence[str], *, known_names: Sequence[Iterable[str]]) -> list[str]:
    """text_redact of each text (with the known names at the same position), the same
    result; the name recogniser reads the texts together, which costs several times less
    per text than one by one (the chat stores the messages of many customers at once)."""
    texts = [str(text) for text in texts]
    recognised = recogniser.recogniser_spans_many(texts)
    options = _options(None, None, None)
    return [
        spans_apply(
            text,
            _spans_with(
                text,
                spans,
                known_names=names_known,
                options=options,
                unknown_words_too=unknown_words.german_sentence(text),
            ),
        )
        for text, spans, names_known in zip(texts, recognised, known_names, strict=True)
    ]
