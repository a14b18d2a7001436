"""Token normalisation for intent classification, as a spaCy pipeline component.

Customers type "Rückgabe", "Rueckgabe" and "ruckgabe" for the same word, and
"12345" or "98765" for an order number. The classifier reads `token.norm_`, so
all spellings of a word meet in one feature and the model learns from fewer
examples. The component is registered on import; `bot.nlu.intents` imports this
module, so a saved pipeline can always be rebuilt.
"""

import re
import unicodedata
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from bot.nlu.vocabulary import TRAINING_WORDS

TOKEN_NORM_COMPONENT = "supportdesk_token_norm"

_DIGITS = re.compile(r"\d+")
# German spelling without umlaut keys: "ue" for "ü" after a consonant ("zurueck");
# after a vowel it is part of a diphthong or a syllable break ("neue", "bauen").
_GERMAN_UMLAUT_DIGRAPH = re.compile(r"(?<![aeiouy])([aou])e")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})


def _accents_strip(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def token_normalize(text: str, *, language: str) -> str:
    """Casefolded, accents and umlauts folded to their base letter, digit runs as "0".

    German folds "ü", "ue" and "u" (after a consonant) to "u", so the three
    spellings customers use agree; "ß" becomes "ss" by casefolding. Cached for the words
    of a model's vocabulary only: a customer's other words are not kept
    (`bot.nlu.vocabulary`).
    """
    if text in TRAINING_WORDS:
        return _token_normalize_cached(text, language)
    return _token_normalize(text, language)


def _token_normalize(text: str, language: str) -> str:
    norm = text.translate(_APOSTROPHES).casefold()
    norm = _accents_strip(norm)
    if language == "de":
        norm = _GERMAN_UMLAUT_DIGRAPH.sub(r"\1", norm)
    return _DIGITS.sub("0", norm)


_token_normalize_cached = lru_cache(maxsize=65536)(_token_normalize)


@Language.factory(TOKEN_NORM_COMPONENT)
def token_norm_component_create(nlp: Language, name: str) -> "TokenNormalizer":
    return TokenNormalizer(language=nlp.lang)


class TokenNormalizer:
    """Sets `token.norm_`; stateless, so it serialises as nothing."""

    def __init__(self, *, language: str) -> None:
        self.language = language

    def __call__(self, doc: Doc) -> Doc:
        language = self.language
        for token in doc:
            text = token.text
            # token_normalize, inlined: called for every token of every message.
            token.norm_ = (
                _token_normalize_cached(text, language)
                if text in TRAINING_WORDS
                else _token_normalize(text, language)
            )
        return doc

    def words(self, doc: Doc) -> tuple[str, ...]:
        """The norms this component would set, of the tokens that are neither punctuation
        nor space (`bot.nlu.features.doc_words` of the doc it returns), without setting
        them: a message classified adds no norm to the vocabulary's strings."""
        language = self.language
        return tuple(
            token_normalize(token.text, language=language)
            for token in doc
            if not (token.is_punct or token.is_space)
        )
