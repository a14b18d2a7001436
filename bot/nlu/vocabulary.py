"""The words the intent models were trained on: the only words the NLU's process-wide
caches keep.

Messages are classified as the customer wrote them (before redaction). A cache keyed by
their words would keep names, and whatever else they wrote, in the process's memory for
its lifetime, also after an erasure. So the caches of `token_normalize` and
`word_feature_keys` hold only the strings of a model's vocabulary (its training examples'
words and their normalised forms, registered when the model is built or loaded); any
other word is computed each time and not kept.
"""

from collections.abc import Iterable

# Only ever added to (one set object): the hot paths test `word in TRAINING_WORDS`.
TRAINING_WORDS: set[str] = set()


def training_vocabulary_add(words: Iterable[str]) -> None:
    """Remember the strings of a model's vocabulary (`nlp.vocab.strings`) as known."""
    TRAINING_WORDS.update(words)
