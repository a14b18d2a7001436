"""A bag-of-n-grams text classifier that also sees character n-grams.

spaCy's `TextCatBOW` hashes whole tokens (`ORTH`, case-sensitive). Support
questions are short, misspelt and, in German, full of compounds
("Rücksendeetikett", "Rücksendung"); character n-grams of the normalised
token (fastText's trick) let such variants share weights, word bigrams keep
"not arrived" apart from "arrived". Features are tf-idf weighted and
L2-normalised, a hashed sparse linear layer scores them, and the softmax is
trained on cross-entropy. With `sentence_vectors` (the width of
`doc._.sentence_vector`, see `bot.nlu.sentence_vectors`) a dense linear layer
scores the sentence vector too and the two scores are added: the n-grams keep
what the examples literally say, the sentence vector what they mean. Registered
as `supportdesk.IntentBOW.v1` so a saved pipeline's config can rebuild it (a
config without `sentence_vectors` is the n-grams alone, as before).
"""

from functools import lru_cache

import numpy
from spacy.strings import hash_string
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Linear, Model, SparseLinear_v2, add, chain, with_cpu
from thinc.types import Floats2d

from bot.nlu.sentence_vectors import SENTENCE_VECTOR_EXTENSION
from bot.nlu.vocabulary import TRAINING_WORDS

INTENT_BOW_ARCHITECTURE = "supportdesk.IntentBOW.v1"
FEATURES_LAYER = "intent_features"
NGRAM_SCORES_REF = "ngram_scores"
VECTOR_SCORES_REF = "vector_scores"


def _word_feature_keys(norm: str, char_min: int, char_max: int) -> tuple[int, ...]:
    keys = [hash_string("w " + norm)]
    marked = f"<{norm}>"
    for size in range(char_min, char_max + 1):
        for start in range(len(marked) - size + 1):
            keys.append(hash_string("c " + marked[start : start + size]))
    return tuple(keys)


_word_feature_keys_cached = lru_cache(maxsize=131072)(_word_feature_keys)


def word_feature_keys(
    norm: str, char_min: int, char_max: int, *, remember: bool = False
) -> tuple[int, ...]:
    """Hashed features of one normalised token: the word, and its character n-grams
    with the word's edges marked ("<ruck", "ung>"). Cached for a word of a model's
    vocabulary, or one being trained on (`remember`); a customer's other words (their
    names) are not kept (`bot.nlu.vocabulary`)."""
    if remember or norm in TRAINING_WORDS:
        return _word_feature_keys_cached(norm, char_min, char_max)
    return _word_feature_keys(norm, char_min, char_max)


def doc_words(doc: Doc) -> tuple[str, ...]:
    """The normalised words the classifier reads of a doc: its tokens' norms, punctuation
    and spaces left out (`bot.nlu.normalization.TokenNormalizer.words` of a text)."""
    return tuple(token.norm_ for token in doc if not (token.is_punct or token.is_space))


def doc_features(
    doc: Doc, *, char_min: int, char_max: int, word_ngram_max: int, remember: bool = False
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Hashed feature keys of a doc and how often each occurs (read-only arrays).
    `remember`: a training example's, cached (training sees each example once per epoch);
    a message classified is not kept, whichever its words."""
    norms = doc_words(doc)
    if remember:
        return _norms_features_cached(norms, char_min, char_max, word_ngram_max)
    return _norms_features(norms, char_min, char_max, word_ngram_max, remember=False)


def _norms_features(
    norms: tuple[str, ...],
    char_min: int,
    char_max: int,
    word_ngram_max: int,
    *,
    remember: bool = True,
) -> tuple[numpy.ndarray, numpy.ndarray]:
    counts: dict[int, int] = {}
    for norm in norms:
        # word_feature_keys, inlined: called for every word of every message.
        if remember or norm in TRAINING_WORDS:
            word_keys = _word_feature_keys_cached(norm, char_min, char_max)
        else:
            word_keys = _word_feature_keys(norm, char_min, char_max)
        for key in word_keys:
            counts[key] = counts.get(key, 0) + 1
    for size in range(2, word_ngram_max + 1):
        padded = ["<s>", *norms, "</s>"]
        for start in range(len(padded) - size + 1):
            key = hash_string("n " + " ".join(padded[start : start + size]))
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return numpy.zeros((0,), dtype="uint64"), numpy.zeros((0,), dtype="float32")
    keys = numpy.fromiter(counts.keys(), dtype="uint64", count=len(counts))
    values = numpy.fromiter(counts.values(), dtype="float32", count=len(counts))
    keys.flags.writeable = values.flags.writeable = False
    return keys, values


# Training examples only (doc_features' `remember`).
_norms_features_cached = lru_cache(maxsize=32768)(_norms_features)


def _doc_features(model: Model, doc: Doc, *, remember: bool) -> tuple[numpy.ndarray, numpy.ndarray]:
    return doc_features(
        doc,
        char_min=model.attrs["char_min"],
        char_max=model.attrs["char_max"],
        word_ngram_max=model.attrs["word_ngram_max"],
        remember=remember,
    )


def _features_forward(model: Model, docs: list[Doc], is_train: bool):
    counted = [_doc_features(model, doc, remember=is_train) for doc in docs]

    def backprop(d_output):
        return []

    return _tf_idf(model, counted), backprop


def _words_counted(model: Model, words: tuple[str, ...]) -> tuple[numpy.ndarray, numpy.ndarray]:
    return _norms_features(
        words,
        model.attrs["char_min"],
        model.attrs["char_max"],
        model.attrs["word_ngram_max"],
        remember=False,
    )


def words_features(
    model: Model, batch: list[tuple[str, ...]]
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """What the n-gram scores read of messages given as their normalised words
    (`doc_words`): the features layer's output for their docs, without making docs.
    `model` is the features layer (`features_layer`); nothing is cached."""
    return _tf_idf(model, [_words_counted(model, words) for words in batch])


def features_layer(model: Model) -> Model:
    """The layer of a classifier that turns docs into weighted n-gram features."""
    return next(node for node in model.walk() if node.name == FEATURES_LAYER)


def _tf_idf(
    model: Model, counted: list[tuple[numpy.ndarray, numpy.ndarray]]
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    idf = model.get_param("idf")
    batch_keys, batch_values, lengths = [], [], []
    for keys, counts in counted:
        # tf-idf, L2-normalised: words every intent's examples share ("hallo, ich
        # wollte fragen") weigh little, and a long message is not surer for being long.
        values = counts * idf[keys % len(idf)]
        if len(values):
            values /= numpy.sqrt(numpy.square(values).sum())
        batch_keys.append(keys)
        batch_values.append(values)
        lengths.append(len(keys))
    keys = numpy.concatenate(batch_keys) if batch_keys else numpy.zeros((0,), dtype="uint64")
    values = numpy.concatenate(batch_values) if batch_values else numpy.zeros((0,), "float32")
    return keys, values, numpy.asarray(lengths, dtype="int32")


def _sentence_vectors_forward(model: Model, docs: list[Doc], is_train: bool):
    rows = numpy.zeros((len(docs), model.attrs["width"]), dtype="float32")
    for position, doc in enumerate(docs):
        vector = doc._.get(SENTENCE_VECTOR_EXTENSION)
        if vector is None:
            raise ValueError(
                "The intent model reads sentence vectors: the pipeline needs the "
                "sentence vectors component before the classifier."
            )
        rows[position] = vector

    def backprop(d_output):
        return []

    return sentence_vectors_scaled(model, rows), backprop


def sentence_vectors_scaled(model: Model, rows: numpy.ndarray) -> Floats2d:
    """What the vector scores read of sentence vectors (float32 rows, scaled in place):
    the sentence vectors layer's output for docs carrying them."""
    scale = model.attrs.get("scale", 1.0)
    if scale != 1.0:
        rows *= scale
    return model.ops.asarray2f(rows)


def _softmax_forward(model: Model, scores: Floats2d, is_train: bool):
    probabilities = model.ops.softmax(scores, inplace=False)

    def backprop(d_probabilities: Floats2d) -> Floats2d:
        # textcat's gradient is probabilities - truth, which is exactly the gradient
        # of the cross-entropy loss with respect to the scores: pass it through.
        # (Backpropagating it through the softmax instead trains the squared error,
        # whose gradient vanishes on confidently wrong examples.)
        return d_probabilities

    return probabilities, backprop


def softmax_cross_entropy() -> Model[Floats2d, Floats2d]:
    return Model("softmax_cross_entropy", _softmax_forward)


def _features_init(model: Model, X=None, Y=None) -> Model:
    if not model.has_param("idf") or model.get_param("idf") is None:
        model.set_param("idf", numpy.ones((model.get_dim("idf_length"),), dtype="float32"))
    return model


def features_idf_fit(model: Model, docs: list[Doc]) -> None:
    """Set the inverse document frequencies of the features from the training docs.

    The weights are fixed, not learned: spaCy initialises a model from a handful
    of docs, so training calls this with all of them.
    """
    layer = features_layer(model)
    length = layer.get_dim("idf_length")
    frequencies = numpy.zeros((length,), dtype="float32")
    for doc in docs:
        keys, _ = _doc_features(layer, doc, remember=True)
        frequencies[numpy.unique(keys % length)] += 1
    # Smoothed as in scikit-learn's TfidfTransformer: never zero, never infinite.
    idf = numpy.log((1 + len(docs)) / (1 + frequencies)) + 1
    layer.set_param("idf", idf.astype("float32"))


@registry.architectures(INTENT_BOW_ARCHITECTURE)
def intent_bow_build(
    exclusive_classes: bool = True,
    length: int = 2**15,
    word_ngram_max: int = 2,
    char_min: int = 3,
    char_max: int = 4,
    idf_length: int = 2**18,
    sentence_vectors: int = 0,
    sentence_vector_scale: float = 1.0,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    features: Model = Model(
        FEATURES_LAYER,
        _features_forward,
        init=_features_init,
        params={"idf": None},
        dims={"idf_length": idf_length},
        attrs={"char_min": char_min, "char_max": char_max, "word_ngram_max": word_ngram_max},
    )
    if not exclusive_classes:
        raise ValueError(f"{INTENT_BOW_ARCHITECTURE} classifies into exclusive classes only.")
    linear = SparseLinear_v2(nO=nO, length=length)
    ngram_scores: Model = chain(features, linear)
    scores = ngram_scores
    vector_scores: Model | None = None
    if sentence_vectors:
        vectors: Model = Model(
            "sentence_vectors",
            _sentence_vectors_forward,
            attrs={"width": sentence_vectors, "scale": sentence_vector_scale},
        )
        # Linear: a hidden ReLU layer of 512 between vector and scores did no better
        # (BANKING77 20 % held out: 0.916 against 0.917).
        vector_scores = chain(vectors, Linear(nO=nO, nI=sentence_vectors))
        scores = add(scores, vector_scores)
    model = chain(
        with_cpu(scores, features.ops),
        with_cpu(softmax_cross_entropy(), features.ops),
    )
    model.set_ref("output_layer", linear)
    # The two branches' scores one by one: the model answers from the n-grams alone
    # when they are sure enough, without encoding the sentence (`bot.nlu.intents`).
    model.set_ref(NGRAM_SCORES_REF, ngram_scores)
    if vector_scores is not None:
        model.set_ref(VECTOR_SCORES_REF, vector_scores)
    model.attrs["multi_label"] = False
    return model
