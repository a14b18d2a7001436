"""When the bot answers, suggests or escalates: thresholds calibrated on held-back data.

The classifier's confidence is a softmax probability, not a promise; how much
of it earns an automatic answer differs per model and data set. So each
trained model gets its thresholds from predictions on examples its weights did
not see:

- ANSWER when the top intent's confidence reaches `answer`: the lowest threshold
  at which the answers given would be right often enough (`target_precision`),
  in traffic with a share of out-of-scope questions, each answered one wrong;
  how often an answer at a given confidence is right is a logistic fit over all
  held-back examples (Platt scaling), which small knowledge bases need;
- SUGGEST ("Meinten Sie …?") the top intents when their summed probability
  reaches `suggest`: the lowest at which the true intent is among them with
  probability `suggest_target` (isotonic regression);
- ESCALATE to a person otherwise.

A model that reads the sentence vector beside the n-grams may also answer from the
n-grams alone, without encoding the sentence (most of a message's CPU): when their top
intent leads the second by `shortcut_margin` (log-odds). That margin is the lowest at
which, on the same held-back predictions, answering so loses neither answer precision
nor questions answered right (`prediction_shortcut`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy
from django.conf import settings

if TYPE_CHECKING:
    from bot.nlu.intents import IntentPrediction

# The intent of questions the bot must not answer, in training and evaluation data.
OOS_INTENT = "oos"
ANSWER_PRECISION_TARGET_DEFAULT = 0.95
SUGGEST_HIT_TARGET_DEFAULT = 0.8
SUGGESTIONS_DEFAULT = 3
# Share of customers' questions assumed to be out of scope when calibrating.
OUT_OF_SCOPE_SHARE_DEFAULT = 0.1
# Fewer held-back out-of-scope examples than this say too little about their confidences.
OOS_EXAMPLES_MIN = 20
# A threshold no confidence reaches: the band is never chosen.
NEVER = math.inf
# Fewer held-back in-scope predictions than this say too little about where the n-grams
# alone are as right as the whole model: such a model always encodes the sentence.
SHORTCUT_EXAMPLES_MIN = 200


class Band(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    ESCALATE = "escalate"


# Thresholds that may be NEVER: None in a stored record (JSON has no infinity).
_THRESHOLD_KEYS = ("answer", "suggest", "shortcut_margin")


@dataclass(frozen=True)
class Thresholds:
    answer: float
    suggest: float
    suggestions: int = SUGGESTIONS_DEFAULT
    target_precision: float = ANSWER_PRECISION_TARGET_DEFAULT
    suggest_target: float = SUGGEST_HIT_TARGET_DEFAULT
    out_of_scope_share: float = OUT_OF_SCOPE_SHARE_DEFAULT
    # What the held-back examples showed at these thresholds, for the model's record.
    calibration_examples: int = 0
    calibration_precision: float | None = None
    calibration_automation: float | None = None
    # Answer from the n-grams alone, the sentence not encoded, when their top intent leads
    # the second by this log-odds margin; NEVER: always encode (models stored before it).
    shortcut_margin: float = NEVER
    # Share of the held-back predictions that would have taken the shortcut.
    calibration_shortcut: float | None = None

    def to_dict(self) -> dict:
        """JSON-safe (a stored model's record): a threshold never reached is None."""
        data = asdict(self)
        for key in _THRESHOLD_KEYS:
            data[key] = None if math.isinf(data[key]) else data[key]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Thresholds:
        data = dict(data)
        for key in _THRESHOLD_KEYS:
            data[key] = NEVER if data.get(key) is None else float(data[key])
        return cls(**data)


def _setting(name: str, default: float) -> float:
    # The NLU also runs outside a Django project (benchmarks); then defaults apply.
    if not settings.configured:
        return default
    return float(getattr(settings, name, default))


def threshold_lowest(
    scores: Sequence[float],
    correct: Sequence[bool | float],
    *,
    target: float,
    weights: Sequence[float] | None = None,
) -> float:
    """The lowest score threshold at which the (weighted) share of correct items among
    those scoring at or above it reaches `target`; NEVER if no threshold does.

    `correct` is whether each item is correct, or the probability that it is.
    Items with equal scores are taken or left together, as a threshold must.
    """
    weights = weights if weights is not None else [1.0] * len(scores)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    best = NEVER
    taken = right = 0.0
    for rank, i in enumerate(order):
        taken += weights[i]
        right += weights[i] * float(correct[i])
        is_last_of_tie = rank + 1 == len(order) or scores[order[rank + 1]] < scores[i]
        if is_last_of_tie and taken > 0 and right >= target * taken - 1e-12:
            best = scores[i]
    return best


def correctness_platt(
    scores: Sequence[float],
    correct: Sequence[bool],
    *,
    weights: Sequence[float] | None = None,
) -> list[float]:
    """The probability that an item with this score is correct (Platt scaling).

    A logistic fit on the score's log-odds, with Platt's targets (N₊ + 1) / (N₊ + 2)
    for the correct items and 1 / (N₋ + 2) for the wrong ones instead of 1 and 0.
    A small knowledge base leaves a dozen held-back examples an intent: the share
    correct above a threshold then swings with every example, so the lowest threshold
    where it happens to reach the target is too low, or there is none and nothing is
    ever answered. Two parameters fitted on all items vary far less (Platt 1999;
    Niculescu-Mizil and Caruana 2005 prefer it to isotonic regression on small
    calibration sets); with thousands of items both agree. The targets keep a small
    sample from claiming certainty: ten right answers and no wrong one say 11/12, not 1.
    Items scoring 0 or less (nothing to answer) get 0.
    """
    score = numpy.asarray(scores, dtype="float64")
    weight = numpy.ones_like(score) if weights is None else numpy.asarray(weights, "float64")
    right = numpy.asarray(correct, dtype=bool)
    fitted = score > 0
    probabilities = numpy.zeros_like(score)
    if not fitted.any():
        return probabilities.tolist()
    positives, negatives = int(right[fitted].sum()), int((~right[fitted]).sum())
    target = numpy.where(right, (positives + 1) / (positives + 2), 1 / (negatives + 2))[fitted]
    clipped = numpy.clip(score[fitted], 1e-6, 1 - 1e-6)
    features = numpy.column_stack([numpy.ones_like(clipped), numpy.log(clipped / (1 - clipped))])
    weight = weight[fitted] / weight[fitted].sum()
    coefficients = _logistic_fit(features, target, weight)
    probabilities[fitted] = _sigmoid(features @ coefficients)
    return probabilities.tolist()


def _sigmoid(logits: numpy.ndarray) -> numpy.ndarray:
    # 1 / (1 + e^-x), without overflowing for very negative x
    return numpy.exp(-numpy.logaddexp(0, -logits))


def _logistic_fit(
    features: numpy.ndarray, target: numpy.ndarray, weight: numpy.ndarray
) -> numpy.ndarray:
    """Weighted logistic regression by Newton's method (two parameters: a few steps)."""

    def loss(coefficients: numpy.ndarray) -> float:
        logits = features @ coefficients
        # log(1 + e^x) - t x, written to stay finite for large |x|
        return float(weight @ (numpy.logaddexp(0, logits) - target * logits))

    coefficients = numpy.zeros(features.shape[1])
    current = loss(coefficients)
    for _ in range(100):
        probability = _sigmoid(features @ coefficients)
        gradient = features.T @ (weight * (probability - target))
        hessian = (features.T * (weight * probability * (1 - probability))) @ features
        # A tiny ridge: all scores equal would leave the slope undetermined.
        step = numpy.linalg.solve(hessian + 1e-9 * numpy.eye(len(coefficients)), gradient)
        size = 1.0
        while size > 1e-4 and loss(coefficients - size * step) > current:
            size /= 2
        if size <= 1e-4:
            break
        coefficients = coefficients - size * step
        previous, current = current, loss(coefficients)
        if previous - current < 1e-12:
            break
    return coefficients


def threshold_isotonic(
    scores: Sequence[float],
    correct: Sequence[bool],
    *,
    target: float,
    weights: Sequence[float] | None = None,
) -> float:
    """The lowest score at which the probability of being correct reaches `target`;
    NEVER if it never does.

    The probability is the isotonic regression of correctness on the score (pool
    adjacent violators): the best non-decreasing fit, so it is judged locally, where
    `threshold_lowest` averages over everything above. Suggestions use it: a
    question either gets a useful "Did you mean" or goes to a person, however good
    the suggestions for other questions were.
    """
    weights = weights if weights is not None else [1.0] * len(scores)
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    # Blocks of [weighted mean, total weight, lowest score], merged while decreasing.
    blocks: list[list[float]] = []
    for i in order:
        blocks.append([float(bool(correct[i])), weights[i], scores[i]])
        while len(blocks) > 1 and (
            blocks[-2][0] >= blocks[-1][0] or blocks[-2][2] == blocks[-1][2]
        ):
            mean, weight, _ = blocks.pop()
            previous = blocks[-1]
            total = previous[1] + weight
            if total > 0:
                previous[0] = (previous[0] * previous[1] + mean * weight) / total
            previous[1] = total
    for mean, weight, lowest in blocks:
        if weight > 0 and mean >= target - 1e-12:
            return lowest
    return NEVER


def suggestion_mass(prediction: IntentPrediction, *, suggestions: int) -> float:
    """Probability that the true intent is among the offered ones (out-of-scope excluded)."""
    return sum(p for intent, p in prediction.top[:suggestions] if intent != OOS_INTENT)


def ngram_margin(ngram_top: Sequence[tuple[str, float]]) -> float:
    """How far the n-grams' top intent leads the second, in log-odds; -inf without two."""
    if len(ngram_top) < 2 or ngram_top[0][1] <= 0:
        return -math.inf
    return math.log(ngram_top[0][1]) - math.log(max(ngram_top[1][1], 1e-30))


def prediction_shortcut(prediction: IntentPrediction, thresholds: Thresholds) -> IntentPrediction:
    """The answer from the n-grams alone when they are sure enough (`shortcut_margin`),
    else `prediction` as it is.

    Its confidence is the n-grams' probability, at least the answer threshold: it is
    answered, and the stored confidence says so to whoever compares it with the
    threshold (the supervisors' lists).
    """
    if math.isinf(thresholds.answer) or ngram_margin(prediction.ngram_top) < (
        thresholds.shortcut_margin
    ):
        return prediction
    intent, probability = prediction.ngram_top[0]
    confidence = max(probability, thresholds.answer)
    return dataclasses.replace(
        prediction,
        intent=intent,
        confidence=confidence,
        top=((intent, confidence), *prediction.ngram_top[1:]),
        shortcut=True,
    )


@dataclass(frozen=True)
class _Case:
    answer_score: float
    suggest_score: float
    answer_right: bool
    suggestion_hit: bool
    weight: float
    # The n-grams alone: their margin and whether their top intent is right.
    shortcut_score: float = -math.inf
    shortcut_right: bool = False


def _case(prediction: IntentPrediction, gold: str, *, suggestions: int, weight: float) -> _Case:
    answerable = prediction.intent not in (OOS_INTENT, "")
    return _Case(
        answer_score=prediction.confidence if answerable else -1.0,
        suggest_score=suggestion_mass(prediction, suggestions=suggestions),
        answer_right=answerable and prediction.intent == gold,
        suggestion_hit=gold != OOS_INTENT and gold in prediction.intents_top[:suggestions],
        weight=weight,
        shortcut_score=ngram_margin(prediction.ngram_top),
        shortcut_right=bool(prediction.ngram_top) and prediction.ngram_top[0][0] == gold,
    )


def _case_unknown_intent(
    prediction: IntentPrediction, gold: str, *, suggestions: int, weight: float
) -> _Case:
    """What the model would say about this question if it did not know the true intent.

    The true intent is left out and the rest renormalised: a stand-in for an
    out-of-scope question that resembles the known ones, where no out-of-scope
    examples were given. Where the true intent is not among `top`, its probability
    is at most the last one listed; that bound is used (the more cautious side).
    """
    gold_probability = dict(prediction.top).get(gold, prediction.top[-1][1])
    rest = [(intent, p) for intent, p in prediction.top if intent not in (gold, OOS_INTENT)]
    remaining = max(1e-9, 1.0 - gold_probability)
    # Leaving an intent out does not change how far the others lead each other.
    ngram_rest = [(i, p) for i, p in prediction.ngram_top if i not in (gold, OOS_INTENT)]
    return _Case(
        answer_score=rest[0][1] / remaining if rest else -1.0,
        suggest_score=sum(p for _, p in rest[:suggestions]) / remaining,
        answer_right=False,
        suggestion_hit=False,
        weight=weight,
        shortcut_score=ngram_margin(ngram_rest),
    )


def shortcut_margin_lowest(cases: Sequence[_Case], *, answer: float) -> float:
    """The lowest n-gram margin at which answering every case that reaches it from the
    n-grams alone (and the rest as the whole model does) keeps the weighted answer
    precision and the weighted answers right of the whole model alone; NEVER if none.

    Both, not precision alone: above the margin the whole model would have been right
    nearly always, so the n-grams must be as right there, not merely as right as the
    answers overall.
    """
    if math.isinf(answer):
        return NEVER
    taken = [c for c in cases if c.answer_score >= answer]
    answered = sum(c.weight for c in taken)
    right = sum(c.weight for c in taken if c.answer_right)
    if not answered:
        return NEVER
    precision_whole, right_whole = right / answered, right
    order = sorted(
        (c for c in cases if c.shortcut_score > -math.inf), key=lambda c: -c.shortcut_score
    )
    best = NEVER
    for rank, case in enumerate(order):
        answered_whole = case.answer_score >= answer
        answered += case.weight * (not answered_whole)
        right += case.weight * (case.shortcut_right - (answered_whole and case.answer_right))
        is_last_of_tie = (
            rank + 1 == len(order) or order[rank + 1].shortcut_score < case.shortcut_score
        )
        if (
            is_last_of_tie
            and right >= right_whole - 1e-12
            and right >= precision_whole * answered - 1e-12
        ):
            best = case.shortcut_score
    return best


def thresholds_calibrate(
    predictions: Sequence[IntentPrediction],
    gold_intents: Sequence[str],
    *,
    target_precision: float | None = None,
    suggest_target: float | None = None,
    out_of_scope_share: float | None = None,
    suggestions: int = SUGGESTIONS_DEFAULT,
) -> Thresholds:
    """Thresholds from predictions on held-back examples and their true intents.

    Precision is estimated for traffic in which `out_of_scope_share` of the
    questions are out of scope. Their confidences come from the in-scope examples
    with their true intent hidden (questions near a known intent, see
    `_case_unknown_intent`) and, when there are at least OOS_EXAMPLES_MIN held-back
    "oos" examples, in equal parts from those.
    Held-back examples alone would understate the risk: they resemble the training
    examples more than customers' questions do, and rarely include out-of-scope ones.
    With `out_of_scope_share=0` only the held-back examples themselves count.

    Targets default to the settings BOT_ANSWER_PRECISION_TARGET (0.95),
    BOT_SUGGEST_HIT_TARGET (0.8) and BOT_OUT_OF_SCOPE_SHARE (0.1). With no
    held-back examples nothing is answered: an uncalibrated model must not talk
    to customers.
    """
    if len(predictions) != len(gold_intents):
        raise ValueError("Need one gold intent per prediction.")
    if target_precision is None:
        target_precision = _setting("BOT_ANSWER_PRECISION_TARGET", ANSWER_PRECISION_TARGET_DEFAULT)
    if suggest_target is None:
        suggest_target = _setting("BOT_SUGGEST_HIT_TARGET", SUGGEST_HIT_TARGET_DEFAULT)
    if out_of_scope_share is None:
        out_of_scope_share = _setting("BOT_OUT_OF_SCOPE_SHARE", OUT_OF_SCOPE_SHARE_DEFAULT)
    if not 0.0 < target_precision <= 1.0 or not 0.0 < suggest_target <= 1.0:
        raise ValueError("Targets are shares in (0, 1].")
    if not 0.0 <= out_of_scope_share < 1.0:
        raise ValueError("The out-of-scope share is in [0, 1).")
    in_scope = [(p, g) for p, g in zip(predictions, gold_intents, strict=True) if g != OOS_INTENT]
    out_of_scope = [
        (p, g) for p, g in zip(predictions, gold_intents, strict=True) if g == OOS_INTENT
    ]
    cases = [
        _case(p, g, suggestions=suggestions, weight=(1 - out_of_scope_share) / len(in_scope))
        for p, g in in_scope
    ]
    # Out-of-scope questions are unrelated ones (as the "oos" examples, when there are
    # enough) and ones near a known intent (simulated): each kind gets an equal share.
    has_examples = len(out_of_scope) >= OOS_EXAMPLES_MIN
    kinds = (1 if in_scope else 0) + (1 if has_examples else 0)
    if out_of_scope_share > 0 and has_examples:
        weight = out_of_scope_share / kinds / len(out_of_scope)
        cases += [_case(p, g, suggestions=suggestions, weight=weight) for p, g in out_of_scope]
    if out_of_scope_share > 0 and in_scope:
        weight = out_of_scope_share / kinds / len(in_scope)
        cases += [
            _case_unknown_intent(p, g, suggestions=suggestions, weight=weight)
            for p, g in in_scope
            if p.top
        ]
    answer_scores, weights = [c.answer_score for c in cases], [c.weight for c in cases]
    answer = threshold_lowest(
        answer_scores,
        correctness_platt(answer_scores, [c.answer_right for c in cases], weights=weights),
        weights=weights,
        target=target_precision,
    )
    # Only questions the bot does not answer can get suggestions.
    unanswered = [c for c in cases if c.answer_score < answer]
    suggest = threshold_isotonic(
        [c.suggest_score for c in unanswered],
        [c.suggestion_hit for c in unanswered],
        weights=[c.weight for c in unanswered],
        target=suggest_target,
    )
    shortcut = (
        shortcut_margin_lowest(cases, answer=answer)
        if sum(bool(p.ngram_top) for p, _ in in_scope) >= SHORTCUT_EXAMPLES_MIN
        else NEVER
    )
    answered = [
        (p, g)
        for p, g in zip(predictions, gold_intents, strict=True)
        if p.intent not in (OOS_INTENT, "") and p.confidence >= answer
    ]
    return Thresholds(
        answer=answer,
        suggest=suggest,
        suggestions=suggestions,
        target_precision=target_precision,
        suggest_target=suggest_target,
        out_of_scope_share=out_of_scope_share,
        calibration_examples=len(predictions),
        calibration_precision=(
            sum(p.intent == g for p, g in answered) / len(answered) if answered else None
        ),
        calibration_automation=len(answered) / len(predictions) if predictions else None,
        shortcut_margin=shortcut,
        calibration_shortcut=(
            sum(ngram_margin(p.ngram_top) >= shortcut for p in predictions) / len(predictions)
            if predictions
            else None
        ),
    )


def decide(prediction: IntentPrediction, thresholds: Thresholds) -> Band:
    if prediction.intent in (OOS_INTENT, ""):
        return Band.ESCALATE
    if prediction.confidence >= thresholds.answer:
        return Band.ANSWER
    if suggestion_mass(prediction, suggestions=thresholds.suggestions) >= thresholds.suggest:
        return Band.SUGGEST
    return Band.ESCALATE
