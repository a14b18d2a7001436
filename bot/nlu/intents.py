"""Intent classification: one spaCy pipeline per language with a trained `textcat`.

The pipeline is `spacy.blank(language)` + token normalisation + sentence vectors
(`bot.nlu.sentence_vectors`) + a `textcat` with exclusive classes on a bag of word
and character n-grams and the sentence vector (see `bot.nlu.features`). Nothing is
downloaded. A trained model, with the
confidence thresholds calibrated for it, serialises to bytes: the artefact a
training run stores, checks and activates.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy
import spacy
import srsly
from spacy.attrs import IS_PUNCT, IS_SPACE
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, load_model_from_config, minibatch
from thinc.api import Adam, Config, set_dropout_rate

from bot.nlu import sentence_vectors
from bot.nlu.calibration import OOS_INTENT, Thresholds, prediction_shortcut
from bot.nlu.features import (
    INTENT_BOW_ARCHITECTURE,
    NGRAM_SCORES_REF,
    VECTOR_SCORES_REF,
    doc_features,
    features_idf_fit,
    sentence_vectors_scaled,
    words_features,
)
from bot.nlu.normalization import TOKEN_NORM_COMPONENT
from bot.nlu.sentence_vectors import (
    SENTENCE_VECTOR_EXTENSION,
    SENTENCE_VECTOR_WIDTH,
    SENTENCE_VECTORS_COMPONENT,
)
from bot.nlu.vocabulary import training_vocabulary_add

ARTEFACT_FORMAT_VERSION = 1
TEXTCAT = "textcat"
TOP_K_DEFAULT = 3


class IntentModelError(ValueError):
    """Training data or a stored artefact the classifier cannot use."""


@dataclass(frozen=True)
class IntentPrediction:
    intent: str
    confidence: float
    # The best intents with their probabilities, best first; `top[0]` is the intent.
    top: tuple[tuple[str, float], ...]
    # The best intents by the n-grams alone (probabilities, best first), where the model
    # also reads the sentence vector: what decides whether it may skip encoding.
    ngram_top: tuple[tuple[str, float], ...] = ()
    # Answered from the n-grams alone, the sentence never encoded
    # (`bot.nlu.calibration.prediction_shortcut`).
    shortcut: bool = False

    @property
    def intents_top(self) -> tuple[str, ...]:
        return tuple(intent for intent, _ in self.top)


@dataclass(frozen=True)
class IntentHyperparameters:
    """How a classifier is trained. The defaults suit 10 to 100 examples per intent."""

    epochs_max: int = 30
    # Epochs without a better held-out accuracy before training stops. Of equally
    # accurate epochs the last is kept: its confidences separate right from wrong more.
    patience: int = 1
    # Small data sets plateau in accuracy within a few dozen updates while their
    # confidences still sharpen; they train at least this many before stopping.
    updates_min: int = 400
    # Cross-validated training (small data sets) has no held-back part large enough to
    # stop early on; each fold's model and the final one train for this many updates.
    updates_cross_validated: int = 640
    learn_rate: float = 0.01
    weight_decay: float = 0.01
    # Off: clipping costs a pass over all weights per batch and did not help here.
    grad_clip: float = 0.0
    idf: bool = True
    batch_size_max: int = 128
    # Rows of the hashed weight table (per class): a power of two at least the number of
    # distinct n-grams, at most this. More did not help on CLINC150 and costs time and space.
    hash_length_max: int = 2**15
    word_ngram_max: int = 2
    char_ngram_min: int = 3
    char_ngram_max: int = 4
    # Examples of an intent with fewer examples than the largest one are repeated (up to
    # this many times) so that each intent weighs about alike: otherwise the bias favours
    # the intent with the most examples, and unsure questions drift to it (xSID de, 80 of
    # 300 examples "weather": 0.920 -> 0.927 top-1, cross-validated). 1 turns it off.
    balance_repeat_max: int = 4
    # Score the multilingual sentence vector beside the n-grams (`bot.nlu.sentence_vectors`).
    sentence_vectors: bool = True
    # The sentence vector (norm 1) times this, beside the n-grams' tf-idf (norm 1): its
    # weights then need not grow as far against the weight decay. 3 against 1: BANKING77
    # 20 % held out 0.920 against 0.917 top-1 (2: 0.917, 6: 0.918), answered right 0.793
    # against 0.778; checked once on CLINC150 val (0.962 against 0.952).
    sentence_vector_scale: float = 3.0


@dataclass(frozen=True)
class HeldBackPredictions:
    """Predictions on training examples by weights that did not see them: what the
    thresholds are calibrated on and what the quality gate measures.

    `parts[i]` says which part example i was held back in; each part was predicted by
    a model trained on every example outside it (one part per cross-validation fold,
    or a single held-back share).
    """

    examples: tuple[tuple[str, str], ...] = ()
    predictions: tuple[IntentPrediction, ...] = ()
    parts: tuple[int, ...] = ()


@dataclass
class IntentTrainingLog:
    epochs: int = 0
    epoch_best: int = 0
    validation_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0
    held_back: HeldBackPredictions = field(default_factory=HeldBackPredictions)


class IntentModel:
    """A trained classifier; load once per process and reuse, predicting is cheap.

    A model that reads the sentence vector scores the n-grams first. When they alone are
    sure enough (its thresholds' `shortcut_margin`) it answers from them and never
    encodes the sentence, most of a message's CPU; otherwise it adds the vector's scores
    as training did. The n-grams alone are scored with the vector's average part (the
    training examples' mean vector) in place of the message's own.
    """

    def __init__(
        self,
        *,
        nlp: Language,
        thresholds: Thresholds | None = None,
        metadata: dict | None = None,
        sentence_vector_mean: numpy.ndarray | None = None,
    ) -> None:
        self.nlp = nlp
        # Its training words (vocabulary): what the NLU's caches may keep (predict adds none).
        training_vocabulary_add(nlp.vocab.strings)
        # A word not in it gets its lexeme made afresh for every message (predict's memory
        # zone frees it): only the lexical attributes the classifier reads are computed.
        getters = nlp.vocab.lex_attr_getters
        nlp.vocab.lex_attr_getters = {
            attr: getters[attr] for attr in (IS_PUNCT, IS_SPACE) if attr in getters
        }
        self.thresholds = thresholds
        self.metadata = dict(metadata or {})
        self._textcat = nlp.get_pipe(TEXTCAT)
        self._normalizer = nlp.get_pipe(TOKEN_NORM_COMPONENT)
        self.labels: tuple[str, ...] = tuple(self._textcat.labels)
        model = self._textcat.model
        # Predicting calls the scoring layers directly, on a message's normalised words and
        # its sentence vector: what the pipeline's docs would carry, without making them.
        self._features, self._ngram_linear = model.get_ref(NGRAM_SCORES_REF).layers
        self._vectorizer = (
            nlp.get_pipe(SENTENCE_VECTORS_COMPONENT)
            if SENTENCE_VECTORS_COMPONENT in nlp.pipe_names and model.has_ref(VECTOR_SCORES_REF)
            else None
        )
        self._vectors_layer, self._vector_linear = (
            model.get_ref(VECTOR_SCORES_REF).layers if self._vectorizer else (None, None)
        )
        self.sentence_vector_mean = (
            None
            if sentence_vector_mean is None
            else numpy.asarray(sentence_vector_mean, dtype="float32")
        )
        self._ngram_offsets: numpy.ndarray | None = None

    @property
    def language(self) -> str:
        return self.nlp.lang

    def doc_make(self, text: str) -> Doc:
        """The doc as the classifier sees it (tokenised and normalised, not classified)."""
        doc = self._doc_tokens(text)
        if self._vectorizer is not None:
            doc = self._vectorizer(doc)
        return doc

    def _doc_tokens(self, text: str) -> Doc:
        return self._normalizer(self.nlp.make_doc(text))

    def predict_one(self, text: str, *, top_k: int = TOP_K_DEFAULT) -> IntentPrediction:
        """One customer message: `predict` with one item, its vector not cached."""
        return self.predict([text], top_k=top_k, cached=False)[0]

    def predict(
        self,
        texts: Sequence[str],
        *,
        top_k: int = TOP_K_DEFAULT,
        batch_size: int = 256,
        cached: bool = True,
    ) -> list[IntentPrediction]:
        """Many messages at once: tokenised, scored and (those the n-grams alone cannot
        answer) encoded as batches of up to `batch_size`. `cached`: the sentence vectors
        go through the encoder's cache (evaluation, re-scoring: the same texts again);
        customers' messages (the live chat, a group commit's questions) do not."""
        texts = list(texts)
        # The strings spaCy adds to the vocabulary for these texts (customers' words) are
        # freed once their words are read, not kept for the process's lifetime.
        with self.nlp.memory_zone():
            # One by one: a blank pipeline's `pipe` only loops over `make_doc` too.
            words = [self._normalizer.words(self.nlp.make_doc(text)) for text in texts]
        predictions = []
        for start in range(0, len(texts), batch_size):
            end = start + batch_size
            predictions += self._predictions(
                texts[start:end], words[start:end], top_k=top_k, cached=cached
            )
        return predictions

    def _predictions(
        self, texts: list[str], words: list[tuple[str, ...]], *, top_k: int, cached: bool
    ) -> list[IntentPrediction]:
        """Predictions for texts and their normalised words (`TokenNormalizer.words`); a
        sentence vector is encoded only for those the n-grams alone cannot answer."""
        predictions: list[IntentPrediction | None] = [None] * len(texts)
        scored = []
        for position, message_words in enumerate(words):
            if message_words:
                scored.append(position)
            else:  # nothing but spaces and punctuation: nothing to classify
                predictions[position] = IntentPrediction(intent="", confidence=0.0, top=())
        if not scored:
            return predictions
        model = self._textcat.model
        ngram_scores = self._ngram_linear.predict(
            words_features(self._features, [words[i] for i in scored])
        )
        if self._vectorizer is None:
            probabilities = model.ops.softmax(ngram_scores, inplace=False)
            for row, position in enumerate(scored):
                predictions[position] = self._prediction(probabilities[row], top_k=top_k)
            return predictions
        ngram_probabilities = model.ops.softmax(ngram_scores + self._ngram_offsets_get())
        encode = []
        for row, position in enumerate(scored):
            ngram_top = self._top(ngram_probabilities[row], top_k=top_k)
            prediction = IntentPrediction(
                intent=ngram_top[0][0], confidence=0.0, top=ngram_top, ngram_top=ngram_top
            )
            if self.thresholds is not None:
                prediction = prediction_shortcut(prediction, self.thresholds)
            if prediction.shortcut:
                predictions[position] = prediction
            else:
                encode.append((row, position, ngram_top))
        if not encode:
            return predictions
        vectors = sentence_vectors.sentence_vectors_encode(
            [texts[position] for _, position, _ in encode], cached=cached
        )
        # As the whole model computes them: the n-grams' scores plus the vector's.
        scores = ngram_scores[[row for row, _, _ in encode]]
        scores += self._vector_linear.predict(sentence_vectors_scaled(self._vectors_layer, vectors))
        probabilities = model.ops.softmax(scores, inplace=False)
        for row, (_, position, ngram_top) in enumerate(encode):
            top = self._top(probabilities[row], top_k=top_k)
            predictions[position] = IntentPrediction(
                intent=top[0][0], confidence=top[0][1], top=top, ngram_top=ngram_top
            )
        return predictions

    def _ngram_offsets_get(self) -> numpy.ndarray:
        """The vector's part of the scores for the training examples' mean vector (its
        bias alone for a model stored without the mean)."""
        if self._ngram_offsets is None:
            vectors = self._vectors_layer
            mean = self.sentence_vector_mean
            if mean is None:
                mean = numpy.zeros((vectors.attrs["width"],), dtype="float32")
            scaled = mean[None, :] * vectors.attrs.get("scale", 1.0)
            self._ngram_offsets = numpy.asarray(self._vector_linear.predict(scaled))[0]
        return self._ngram_offsets

    def _top(self, scores: numpy.ndarray, *, top_k: int) -> tuple[tuple[str, float], ...]:
        order = numpy.argsort(-scores, kind="stable")[: max(1, top_k)]
        return tuple((self.labels[i], float(scores[i])) for i in order)

    def _prediction(self, scores: numpy.ndarray, *, top_k: int) -> IntentPrediction:
        top = self._top(scores, top_k=top_k)
        return IntentPrediction(intent=top[0][0], confidence=top[0][1], top=top)

    def to_bytes(self) -> bytes:
        mean = self.sentence_vector_mean
        return srsly.msgpack_dumps(
            {
                "format": ARTEFACT_FORMAT_VERSION,
                "config": self.nlp.config.to_str(),
                "pipeline": self.nlp.to_bytes(),
                "thresholds": self.thresholds.to_dict() if self.thresholds else None,
                "metadata": self.metadata,
                # Optional (models stored before it have none): float32, little-endian.
                "sentence_vector_mean": None if mean is None else mean.astype("<f4").tobytes(),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> IntentModel:
        try:
            artefact = srsly.msgpack_loads(data)
        except ValueError as error:
            raise IntentModelError(f"Not an intent model artefact: {error}") from error
        if not isinstance(artefact, dict) or artefact.get("format") != ARTEFACT_FORMAT_VERSION:
            raise IntentModelError("Not an intent model artefact of a supported format.")
        config = Config().from_str(artefact["config"])
        nlp = load_model_from_config(config, auto_fill=True, validate=True)
        nlp.from_bytes(artefact["pipeline"])
        thresholds = artefact.get("thresholds")
        mean = artefact.get("sentence_vector_mean")
        model = cls(
            nlp=nlp,
            thresholds=Thresholds.from_dict(thresholds) if thresholds else None,
            metadata=artefact.get("metadata"),
            sentence_vector_mean=None if mean is None else numpy.frombuffer(mean, dtype="<f4"),
        )
        model._vocabulary_tokenize()
        return model

    def _vocabulary_tokenize(self) -> None:
        """Tokenise each string of the vocabulary once, outside a memory zone, as training
        did its examples. spaCy's tokenizer keeps a text's tokens (their lexemes) by the
        text, but keeps nothing inside `predict`'s memory zone: in a loaded model every
        word of every message would otherwise get its lexeme made afresh and be split by
        the affix rules again, about a third of a message's tokenising. Only the
        vocabulary's words are kept, as the caches of `bot.nlu.vocabulary` keep them."""
        tokenizer = self.nlp.tokenizer
        for string in list(self.nlp.vocab.strings):
            tokenizer(string)

    def save(self, path: Path) -> None:
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        return cls.from_bytes(Path(path).read_bytes())


def intent_model_load_cached(path: Path) -> IntentModel:
    """The model stored at `path`, loaded once per process (again only if the file changes).

    Loading builds the pipeline and reads megabytes of weights; a chat process asks
    for the active model on every message.
    """
    stat = Path(path).stat()
    return _intent_model_load(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _intent_model_load(path: str, mtime_ns: int, size: int) -> IntentModel:
    return IntentModel.load(Path(path))


def _textcat_add(
    nlp: Language,
    *,
    labels: Sequence[str],
    hyperparameters: IntentHyperparameters,
    hash_length: int,
) -> None:
    textcat = nlp.add_pipe(
        TEXTCAT,
        config={
            "model": {
                "@architectures": INTENT_BOW_ARCHITECTURE,
                "exclusive_classes": True,
                "length": hash_length,
                "word_ngram_max": hyperparameters.word_ngram_max,
                "char_min": hyperparameters.char_ngram_min,
                "char_max": hyperparameters.char_ngram_max,
                "sentence_vectors": SENTENCE_VECTOR_WIDTH
                if hyperparameters.sentence_vectors
                else 0,
                "sentence_vector_scale": hyperparameters.sentence_vector_scale,
            }
        },
    )
    for label in labels:
        textcat.add_label(label)


@contextmanager
def _spacy_logging_quiet() -> Iterator[None]:
    """spaCy logs each initialisation at INFO; cross-validation would log it six times."""
    logger = logging.getLogger("spacy")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _examples_check(examples: Sequence[tuple[str, str]], *, name: str) -> None:
    for position, example in enumerate(examples):
        if (
            not isinstance(example, tuple | list)
            or len(example) != 2
            or not all(isinstance(part, str) and part.strip() for part in example)
        ):
            raise IntentModelError(f"{name}[{position}] is not a (text, intent) pair of texts.")


def _accuracy(model: IntentModel, docs: Sequence[Doc], intents: Sequence[str]) -> float:
    """Top-1 accuracy on docs made once: evaluated every epoch, not re-tokenised each time."""
    if not docs:
        return 0.0
    scores = model._textcat.model.predict(list(docs))
    best = numpy.asarray(scores).argmax(axis=1)
    return sum(model.labels[i] == intent for i, intent in zip(best, intents, strict=True)) / len(
        docs
    )


def _examples_make(docs: Sequence[Doc], intents: Sequence[str], labels: Sequence[str]) -> list:
    """spaCy examples of docs and their intents: what `nlp.initialize` reads."""
    made = []
    for doc, intent in zip(docs, intents, strict=True):
        example = Example.from_dict(doc, {"cats": {label: 0.0 for label in labels} | {intent: 1.0}})
        # spaCy initialises the classifier on the reference docs, which `from_dict` makes
        # afresh from the words: they carry no sentence vector of their own.
        example.reference._.set(SENTENCE_VECTOR_EXTENSION, doc._.get(SENTENCE_VECTOR_EXTENSION))
        made.append(example)
    return made


def _textcat_update(textcat, batch: Sequence[tuple[Doc, int]], optimizer: Adam) -> None:
    """One update on (doc, label index) pairs: what `nlp.update` does for the classifier
    (the gradient of the cross-entropy, `bot.nlu.features.softmax_cross_entropy`), without
    copying each example's docs and reading its labels from a dict per batch (about a
    sixth of CLINC150's training CPU)."""
    docs = [doc for doc, _ in batch]
    if not any(len(doc) for doc in docs):
        return
    scores, backprop = textcat.model.begin_update(docs)
    d_scores = scores.copy()
    d_scores[numpy.arange(len(batch)), [index for _, index in batch]] -= 1.0
    backprop(d_scores)
    textcat.finish_update(optimizer)


def _batch_size(examples: int, hyperparameters: IntentHyperparameters) -> int:
    # Small data sets need small batches to get enough updates per epoch.
    return max(8, min(hyperparameters.batch_size_max, examples // 32))


def intent_epochs_for_updates(
    examples: int, *, updates: int, hyperparameters: IntentHyperparameters
) -> int:
    """Epochs over `examples` training examples that make at least `updates` updates."""
    batches = math.ceil(max(1, examples) / _batch_size(examples, hyperparameters))
    return math.ceil(updates / batches)


def intent_balance_repeats(intents: Sequence[str], *, repeat_max: int) -> list[int]:
    """How often each example is trained on per epoch: about the largest intent's count
    over its own intent's, between 1 and `repeat_max`."""
    counts = Counter(intents)
    largest = max(counts.values(), default=1)
    return [min(repeat_max, max(1, round(largest / counts[intent]))) for intent in intents]


def intent_model_train(
    examples: Sequence[tuple[str, str]],
    *,
    language: str,
    seed: int = 0,
    validation: Sequence[tuple[str, str]] = (),
    hyperparameters: IntentHyperparameters | None = None,
    log: IntentTrainingLog | None = None,
) -> IntentModel:
    """Train a classifier on (text, intent) pairs; deterministic for a seed.

    With `validation` examples, training stops once their accuracy has not improved
    for `patience` epochs (but not before `updates_min` updates) and keeps the weights
    of the last most accurate epoch; without, it runs `epochs_max` epochs. Validation
    examples of intents not trained (such as "oos") are ignored.
    """
    hyperparameters = hyperparameters or IntentHyperparameters()
    log = log if log is not None else IntentTrainingLog()
    _examples_check(examples, name="examples")
    _examples_check(validation, name="validation")
    labels = sorted({intent for _, intent in examples})
    if len(labels) < 2:
        raise IntentModelError("Training needs examples of at least two intents.")
    started = time.perf_counter()
    fix_random_seed(seed)
    rng = random.Random(seed)
    nlp = spacy.blank(language)
    nlp.add_pipe(TOKEN_NORM_COMPONENT)
    if hyperparameters.sentence_vectors:
        nlp.add_pipe(SENTENCE_VECTORS_COMPONENT)
    # Before the classifier is added; the sentence vectors are encoded in batches.
    docs = list(nlp.pipe((text for text, _ in examples), disable=[SENTENCE_VECTORS_COMPONENT]))
    if hyperparameters.sentence_vectors:
        # The token ids are saved with the model: loading it warms the encoder's cache.
        nlp.get_pipe(SENTENCE_VECTORS_COMPONENT).vectors_set_keeping_token_ids(
            docs, batch_size=nlp.batch_size
        )
    # Validation examples of intents not trained (such as "oos") say nothing about accuracy.
    scored = [(text, intent) for text, intent in validation if intent in labels]
    validation_docs = list(nlp.pipe(text for text, _ in scored))
    validation_intents = [intent for _, intent in scored]
    # The weight table is sized to the data, so the n-grams are counted first.
    features = set()
    for doc in docs:
        keys, _ = doc_features(
            doc,
            char_min=hyperparameters.char_ngram_min,
            char_max=hyperparameters.char_ngram_max,
            word_ngram_max=hyperparameters.word_ngram_max,
            remember=True,
        )
        features.update(keys.tolist())
    hash_length = min(hyperparameters.hash_length_max, max(1024, 2 ** len(features).bit_length()))
    _textcat_add(nlp, labels=labels, hyperparameters=hyperparameters, hash_length=hash_length)
    model = IntentModel(
        nlp=nlp,
        sentence_vector_mean=(
            numpy.mean([doc._.get(SENTENCE_VECTOR_EXTENSION) for doc in docs], axis=0)
            if hyperparameters.sentence_vectors
            else None
        ),
    )
    textcat = nlp.get_pipe(TEXTCAT)
    optimizer = Adam(
        learn_rate=hyperparameters.learn_rate,
        L2=hyperparameters.weight_decay,
        grad_clip=hyperparameters.grad_clip,
        use_averages=False,
    )
    # The labels are already set: a sample suffices to initialise (all would cost seconds).
    with _spacy_logging_quiet():
        nlp.initialize(
            lambda: _examples_make(docs[:100], [intent for _, intent in examples[:100]], labels),
            sgd=optimizer,
        )
    if hyperparameters.idf:
        features_idf_fit(textcat.model, docs)
    repeats = intent_balance_repeats(
        [intent for _, intent in examples], repeat_max=hyperparameters.balance_repeat_max
    )
    # After the idf fit: repeated examples say nothing about how common a feature is.
    label_index = {label: index for index, label in enumerate(textcat.labels)}
    training = [
        (doc, label_index[intent])
        for doc, (_, intent), repeat in zip(docs, examples, repeats, strict=True)
        for _ in range(repeat)
    ]
    batch_size = _batch_size(len(training), hyperparameters)
    epochs_min = intent_epochs_for_updates(
        len(training), updates=hyperparameters.updates_min, hyperparameters=hyperparameters
    )
    set_dropout_rate(textcat.model, 0.0)
    best_accuracy, best_weights, epoch_improved = -1.0, None, 0
    for epoch in range(1, hyperparameters.epochs_max + 1):
        rng.shuffle(training)
        for batch in minibatch(training, size=batch_size):
            _textcat_update(textcat, batch, optimizer)
        log.epochs = epoch
        if not validation:
            log.epoch_best = epoch
            continue
        accuracy = _accuracy(model, validation_docs, validation_intents)
        log.validation_accuracy.append(accuracy)
        if accuracy > best_accuracy:
            epoch_improved = epoch
        if accuracy >= best_accuracy:
            best_accuracy, log.epoch_best = accuracy, epoch
            best_weights = textcat.model.to_bytes()
        if epoch >= epochs_min and epoch - epoch_improved >= hyperparameters.patience:
            break
    if best_weights is not None and log.epoch_best != log.epochs:
        textcat.model.from_bytes(best_weights)
    log.seconds = time.perf_counter() - started
    model.metadata.update(
        {
            "language": language,
            "seed": seed,
            "examples": len(examples),
            "epochs": log.epoch_best,
            "training_seconds": round(log.seconds, 3),
        }
    )
    return model


def intent_examples_split(
    examples: Sequence[tuple[str, str]], *, share: float, seed: int = 0
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Split into (fit, held back), stratified by intent and deterministic for a seed.

    Each intent keeps at least one example for fitting; one with a single example
    is not held back at all. Out-of-scope examples are all held back: they teach
    the calibration what must not be answered, not the classifier an intent.
    """
    by_intent: dict[str, list[tuple[str, str]]] = {}
    for example in examples:
        by_intent.setdefault(example[1], []).append(example)
    rng = random.Random(seed)
    fit, held = [], []
    for intent in sorted(by_intent):
        group = list(by_intent[intent])
        rng.shuffle(group)
        if intent == OOS_INTENT:
            held.extend(group)
            continue
        count = min(len(group) - 1, round(len(group) * share))
        held.extend(group[:count])
        fit.extend(group[count:])
    return fit, held
