"""The reference classifier ours is measured against: tf-idf + logistic regression.

Word unigrams and bigrams of the lower-cased text, sublinear tf-idf, a multinomial
logistic regression (scikit-learn, C=10): the baseline of the intent-detection
literature (Larson et al. 2019; Casanueva et al. 2020), trained on exactly the
examples our model trains on and calibrated by the same code (see
`bot.nlu.training.intent_model_build`'s `trainer`). Not tuned on any data set:
these are the common settings. Only evaluations use it; the chat never does.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from bot.nlu.calibration import Thresholds
from bot.nlu.intents import (
    TOP_K_DEFAULT,
    IntentHyperparameters,
    IntentModelError,
    IntentPrediction,
    IntentTrainingLog,
)

BASELINE_NAME = "tf-idf + logistic regression"
BASELINE_C = 10.0
BASELINE_MAX_ITERATIONS = 1000


class BaselineModel:
    """Predicts like `IntentModel` (same prediction objects), so the evaluation and the
    calibration treat both alike."""

    def __init__(
        self, *, vectorizer: TfidfVectorizer, classifier: LogisticRegression, language: str
    ) -> None:
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.language = language
        self.labels: tuple[str, ...] = tuple(classifier.classes_)
        self.thresholds: Thresholds | None = None
        self.metadata: dict = {"classifier": BASELINE_NAME}

    def predict(
        self,
        texts: Sequence[str],
        *,
        top_k: int = TOP_K_DEFAULT,
        batch_size: int = 0,
        cached: bool = True,
    ) -> list[IntentPrediction]:
        """`IntentModel.predict`'s signature; it caches nothing, `cached` or not."""
        if not texts:
            return []
        # A sparse product, no BLAS threads to limit (and threadpool_limits costs
        # milliseconds a call: it would dominate the latency measured per message).
        probabilities = self.classifier.predict_proba(self.vectorizer.transform(list(texts)))
        predictions = []
        for text, row in zip(texts, probabilities, strict=True):
            if not text.strip():
                predictions.append(IntentPrediction(intent="", confidence=0.0, top=()))
                continue
            order = numpy.argsort(-row, kind="stable")[: max(1, top_k)]
            top = tuple((self.labels[i], float(row[i])) for i in order)
            predictions.append(IntentPrediction(intent=top[0][0], confidence=top[0][1], top=top))
        return predictions

    def predict_one(self, text: str, *, top_k: int = TOP_K_DEFAULT) -> IntentPrediction:
        return self.predict([text], top_k=top_k)[0]


def baseline_model_train(
    examples: Sequence[tuple[str, str]],
    *,
    language: str,
    seed: int = 0,
    validation: Sequence[tuple[str, str]] = (),
    hyperparameters: IntentHyperparameters | None = None,
    log: IntentTrainingLog | None = None,
) -> BaselineModel:
    """Train the baseline on (text, intent) pairs; `intent_model_train`'s signature, so
    `intent_model_build` can build either. It has no epochs: `validation` and
    `hyperparameters` are not used."""
    labels = {intent for _, intent in examples}
    if len(labels) < 2:
        raise IntentModelError("Training needs examples of at least two intents.")
    started = time.perf_counter()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    features = vectorizer.fit_transform([text for text, _ in examples])
    classifier = LogisticRegression(
        C=BASELINE_C, max_iter=BASELINE_MAX_ITERATIONS, random_state=seed
    )
    # One BLAS thread: on a busy machine two threads waiting for each other made a fit
    # 25 times slower in wall time than on one (300 examples: 66 s against 2.7 s).
    with threadpool_limits(1):
        classifier.fit(features, [intent for _, intent in examples])
    model = BaselineModel(vectorizer=vectorizer, classifier=classifier, language=language)
    if log is not None:
        log.epochs = log.epoch_best = 1
        log.seconds = time.perf_counter() - started
    model.metadata.update({"language": language, "examples": len(examples)})
    return model
