"""Word vectors for intent classification: the mean of a text's WordLlama token
embeddings, as a spaCy pipeline component.

WordLlama (`wordllama`, MIT) ships a 256-wide table of static token embeddings taken
from Llama 2's embedding layer and trained further for sentence similarity, with
Llama 2's tokenizer; both files are inside the wheel. A text's vector is the mean of
its tokens' rows, L2-normalised: about 0.01 ms a message. The classifier scores it
beside the n-grams and the sentence vector (`bot.nlu.features`): it knows words the
training examples never used ("swallowed" near "kept", "top up" near "add money").

The files are read straight from the installed package (found with `importlib`,
without importing it): the package's own loader looks for the tokenizer in a folder
the wheel does not have and then downloads it from Hugging Face, and importing the
package configures the root logger. Nothing here ever opens a connection. A trained
model keeps the digest of the embedding table it was trained with; loading it with a
different table fails clearly (`WordVectorsError`) instead of predicting otherwise.
"""

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy
from spacy.language import Language
from spacy.tokens import Doc

WORD_VECTORS_COMPONENT = "supportdesk_word_vectors"
WORD_VECTOR_EXTENSION = "word_vector"
WORD_VECTOR_WIDTH = 256
PACKAGE = "wordllama"
# The files inside the package (`wordllama==0.4.0.post1`, pinned in pyproject.toml).
WEIGHTS_FILE = ("weights", "l2_supercat_256.safetensors")
TOKENIZER_FILE = ("tokenizers", "l2_supercat_tokenizer_config.json")
TENSOR_KEY = "embedding.weight"

if not Doc.has_extension(WORD_VECTOR_EXTENSION):
    Doc.set_extension(WORD_VECTOR_EXTENSION, default=None)


class WordVectorsError(ValueError):
    """The word vectors cannot be read, or are not those a model was trained with."""


@dataclass(frozen=True)
class WordEmbeddings:
    table: numpy.ndarray  # float32, one row per token id
    tokenizer: object  # tokenizers.Tokenizer
    # SHA-256 of the weights file: what a trained model keeps to check it is read alike.
    digest: str


def package_files() -> tuple[Path, Path]:
    """The weights and tokenizer files inside the installed package, not importing it."""
    spec = find_spec(PACKAGE)
    if spec is None or not spec.origin:
        raise WordVectorsError(f"The package {PACKAGE!r} is not installed.")
    root = Path(spec.origin).parent
    weights, tokenizer = root.joinpath(*WEIGHTS_FILE), root.joinpath(*TOKENIZER_FILE)
    for path in (weights, tokenizer):
        if not path.is_file():
            raise WordVectorsError(f"{path} is missing from the package {PACKAGE!r}.")
    return weights, tokenizer


@lru_cache(maxsize=1)
def word_embeddings() -> WordEmbeddings:
    """The table and tokenizer, read once per process (16 MB; about 0.1 s)."""
    # Loaded on first use: a process that never classifies needs neither package.
    from safetensors.numpy import load
    from tokenizers import Tokenizer

    weights, tokenizer_path = package_files()
    data = weights.read_bytes()
    try:
        table = load(data)[TENSOR_KEY]
    except (KeyError, ValueError) as error:
        raise WordVectorsError(f"{weights} holds no {TENSOR_KEY!r}: {error}") from error
    if table.ndim != 2 or table.shape[1] != WORD_VECTOR_WIDTH:
        raise WordVectorsError(f"{weights} is {table.shape}, not (tokens, {WORD_VECTOR_WIDTH}).")
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    # Its BPE model keeps the last 10,000 words it split, customers' names among them:
    # no cache on the message path is keyed by their words (README, Privacy).
    tokenizer.model._resize_cache(0)
    return WordEmbeddings(
        table=numpy.ascontiguousarray(table, dtype="float32"),
        tokenizer=tokenizer,
        digest=hashlib.sha256(data).hexdigest(),
    )


def word_vectors_encode(texts: Sequence[str]) -> numpy.ndarray:
    """One L2-normalised float32 row per text: the mean of its tokens' embeddings
    (zeros for a blank text). One text at a time: the tokenizer's batch call
    would start threads for what costs microseconds."""
    embeddings = word_embeddings()
    table, tokenizer = embeddings.table, embeddings.tokenizer
    rows = numpy.zeros((len(texts), WORD_VECTOR_WIDTH), dtype="float32")
    for position, text in enumerate(texts):
        if not text.strip():  # spaces alone are tokens too, and say nothing
            continue
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        if not ids:
            continue
        vector = table[ids].mean(axis=0)
        norm = numpy.sqrt(numpy.dot(vector, vector))
        if norm > 0:
            rows[position] = vector / norm
    return rows


@Language.factory(WORD_VECTORS_COMPONENT)
def word_vectors_component_create(nlp: Language, name: str) -> "WordVectorizer":
    return WordVectorizer()


class WordVectorizer:
    """Sets `doc._.word_vector` from the doc's text. Stores the digest of the embedding
    table; loading checks it against the installed package's."""

    def __init__(self) -> None:
        self.digest = word_embeddings().digest

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return self.digest.encode("ascii")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "WordVectorizer":
        stored = data.decode("ascii", errors="replace")
        if stored != self.digest:
            raise WordVectorsError(
                f"The model was trained with other word vectors (table {stored[:12]}, "
                f"installed {self.digest[:12]}): install the pinned {PACKAGE} or train again."
            )
        return self

    def __call__(self, doc: Doc) -> Doc:
        return self.vectors_set([doc])[0]

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self.vectors_set(batch)
                batch = []
        if batch:
            yield from self.vectors_set(batch)

    def vectors_set(self, docs: list[Doc]) -> list[Doc]:
        for doc, vector in zip(docs, word_vectors_encode([doc.text for doc in docs]), strict=True):
            doc._.set(WORD_VECTOR_EXTENSION, vector)
        return docs
