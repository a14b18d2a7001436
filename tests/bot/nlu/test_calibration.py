import json
import math

import pytest

from bot.nlu.calibration import (
    NEVER,
    SHORTCUT_EXAMPLES_MIN,
    Band,
    Thresholds,
    correctness_platt,
    decide,
    prediction_shortcut,
    threshold_lowest,
    thresholds_calibrate,
)
from bot.nlu.intents import IntentPrediction


def prediction(*top: tuple[str, float]) -> IntentPrediction:
    return IntentPrediction(intent=top[0][0], confidence=top[0][1], top=tuple(top))


def test_threshold_lowest_is_where_the_share_of_correct_first_reaches_the_target():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5]
    correct = [True, True, True, False, False]

    # 3/3 at 0.7, 3/4 at 0.6, 3/5 at 0.5
    assert threshold_lowest(scores, correct, target=1.0) == 0.7
    assert threshold_lowest(scores, correct, target=0.75) == 0.6
    assert threshold_lowest(scores, correct, target=0.6) == 0.5


def test_threshold_lowest_takes_tied_scores_together():
    # At 0.8 a threshold answers both the right and the wrong one: 2/3.
    assert threshold_lowest([0.9, 0.8, 0.8], [True, True, False], target=0.9) == 0.9


def test_threshold_lowest_is_never_when_no_threshold_reaches_the_target():
    assert threshold_lowest([0.9, 0.5], [False, True], target=0.95) == NEVER
    assert threshold_lowest([], [], target=0.95) == NEVER


def test_the_answer_threshold_is_where_the_fitted_precision_reaches_the_target():
    # given confidences that are calibrated: at 0.01, 0.02 … 0.99, that share is right
    confidences = [step / 100 for step in range(1, 100) for _ in range(20)]
    rights = [position < round(step / 100 * 20) for step in range(1, 100) for position in range(20)]
    predictions = [prediction(("a", c), ("b", 0.0)) for c in confidences]
    gold = ["a" if right else "b" for right in rights]

    # when
    thresholds = thresholds_calibrate(
        predictions, gold, target_precision=0.95, out_of_scope_share=0.0
    )

    # then: the answers from 0.91 up are right 95 % of the time on average
    assert thresholds.answer == pytest.approx(0.91, abs=0.02)
    assert thresholds.calibration_precision == pytest.approx(0.95, abs=0.01)


def test_a_few_right_answers_do_not_claim_the_target_precision():
    # ten right answers and no wrong one: (10 + 1) / (10 + 2) = 0.92, not 1
    few = [prediction(("a", 0.9), ("b", 0.05))] * 10
    enough = [prediction(("a", 0.9), ("b", 0.05))] * 30

    assert thresholds_calibrate(few, ["a"] * 10, out_of_scope_share=0.0).answer == NEVER
    assert thresholds_calibrate(enough, ["a"] * 30, out_of_scope_share=0.0).answer == 0.9


def test_correctness_platt_is_monotone_and_never_certain():
    scores = [0.95, 0.9, 0.8, 0.6, 0.4, 0.3, 0.2, -1.0]
    correct = [True, True, True, False, True, False, False, False]

    probabilities = correctness_platt(scores, correct)

    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 < p < 1 for p in probabilities[:-1])
    assert probabilities[-1] == 0.0  # nothing to answer


def test_an_answered_out_of_scope_question_counts_as_wrong():
    # given in-scope questions all answered right, from 0.5 up; out-of-scope ones at 0.6
    in_scope = [prediction(("a", 0.5 + i * 0.025), ("b", 0.01)) for i in range(20)]
    out_of_scope = [prediction(("a", 0.6), ("b", 0.3))] * 20
    predictions, gold = in_scope + out_of_scope, ["a"] * 20 + ["oos"] * 20

    ignoring = thresholds_calibrate(predictions, gold, out_of_scope_share=0.0)
    counting = thresholds_calibrate(predictions, gold, out_of_scope_share=0.5)

    assert ignoring.answer == 0.5
    assert counting.answer > 0.6


def test_without_out_of_scope_examples_hidden_intents_stand_in_for_them():
    # given held-back examples all answered right, the second intent close behind
    predictions = [prediction(("a", 0.6 + i * 0.01), ("b", 0.3), ("c", 0.05)) for i in range(30)]
    gold = ["a"] * 30

    plain = thresholds_calibrate(predictions, gold, target_precision=0.95, out_of_scope_share=0.0)
    cautious = thresholds_calibrate(
        predictions, gold, target_precision=0.95, out_of_scope_share=0.1
    )

    # then: "b" at 0.3 / (1 - 0.6) = 0.75 would be answered for a question about
    # an unknown intent, so the cautious threshold is above that
    assert plain.answer == pytest.approx(0.6)
    assert cautious.answer > 0.75


def test_the_suggest_threshold_is_calibrated_on_the_questions_not_answered():
    # given: sure and right; unsure with the truth in the top 3; unsure and lost
    predictions = (
        [prediction(("a", 0.95), ("b", 0.03), ("c", 0.01))] * 30
        + [prediction(("b", 0.4), ("a", 0.35), ("c", 0.2))] * 8
        + [prediction(("c", 0.2), ("b", 0.15), ("a", 0.1))] * 8
    )
    gold = ["a"] * 30 + ["a"] * 8 + ["d"] * 8

    thresholds = thresholds_calibrate(
        predictions, gold, target_precision=0.95, suggest_target=0.8, out_of_scope_share=0.0
    )

    assert thresholds.answer == 0.95
    assert thresholds.suggest == pytest.approx(0.95)  # 0.4 + 0.35 + 0.2: the hits only
    assert decide(predictions[30], thresholds) == Band.SUGGEST
    assert decide(predictions[-1], thresholds) == Band.ESCALATE


def test_targets_default_to_the_settings(settings):
    settings.BOT_ANSWER_PRECISION_TARGET = 0.5
    settings.BOT_SUGGEST_HIT_TARGET = 0.6
    settings.BOT_OUT_OF_SCOPE_SHARE = 0.0
    # 20 right at 0.9 and 10 wrong at 0.5: two thirds right when both are answered
    predictions = [prediction(("a", 0.9))] * 20 + [prediction(("a", 0.5))] * 10

    thresholds = thresholds_calibrate(predictions, ["a"] * 20 + ["b"] * 10)

    assert (thresholds.target_precision, thresholds.suggest_target) == (0.5, 0.6)
    assert thresholds.out_of_scope_share == 0.0
    assert thresholds.answer == 0.5


def test_with_nothing_held_back_nothing_is_answered():
    thresholds = thresholds_calibrate([], [])

    assert math.isinf(thresholds.answer)
    assert decide(prediction(("a", 1.0)), thresholds) == Band.ESCALATE


def test_calibration_refuses_mismatched_lengths():
    with pytest.raises(ValueError):
        thresholds_calibrate([prediction(("a", 0.9))], [])


THRESHOLDS = Thresholds(answer=0.7, suggest=0.6, suggestions=3)


@pytest.mark.parametrize(
    ("top", "band"),
    [
        ((("a", 0.7), ("b", 0.2)), Band.ANSWER),
        ((("a", 0.99),), Band.ANSWER),
        ((("a", 0.5), ("b", 0.1)), Band.SUGGEST),
        ((("a", 0.3), ("b", 0.2), ("c", 0.1), ("d", 0.1)), Band.SUGGEST),
        ((("a", 0.3), ("b", 0.2), ("c", 0.05), ("d", 0.05)), Band.ESCALATE),
        ((("a", 0.1), ("b", 0.1)), Band.ESCALATE),
    ],
)
def test_decide_bands(top, band):
    assert decide(prediction(*top), THRESHOLDS) == band


def test_decide_never_answers_the_out_of_scope_intent():
    assert decide(prediction(("oos", 0.99), ("a", 0.01)), THRESHOLDS) == Band.ESCALATE


def test_decide_escalates_an_empty_message():
    assert decide(IntentPrediction(intent="", confidence=0.0, top=()), THRESHOLDS) == Band.ESCALATE


def test_thresholds_survive_a_json_round_trip():
    thresholds = Thresholds(answer=0.7, suggest=NEVER, calibration_examples=12)

    data = json.loads(json.dumps(thresholds.to_dict(), allow_nan=False))

    assert data["suggest"] is None
    assert Thresholds.from_dict(data) == thresholds


SHORTCUT_THRESHOLDS = Thresholds(answer=0.7, suggest=0.5, shortcut_margin=math.log(4))


def with_ngrams(prediction: IntentPrediction, *ngram_top: tuple[str, float]) -> IntentPrediction:
    return IntentPrediction(
        intent=prediction.intent,
        confidence=prediction.confidence,
        top=prediction.top,
        ngram_top=tuple(ngram_top),
    )


def test_a_prediction_is_answered_from_the_ngrams_when_they_lead_by_the_margin():
    whole = prediction(("a", 0.4), ("b", 0.3))

    shortcut = prediction_shortcut(with_ngrams(whole, ("b", 0.6), ("a", 0.1)), SHORTCUT_THRESHOLDS)

    assert shortcut.shortcut
    assert (shortcut.intent, shortcut.confidence) == ("b", 0.7)
    assert decide(shortcut, SHORTCUT_THRESHOLDS) == Band.ANSWER


def test_a_prediction_keeps_the_whole_models_answer_below_the_margin():
    whole = with_ngrams(prediction(("a", 0.4), ("b", 0.3)), ("b", 0.5), ("a", 0.2))

    assert prediction_shortcut(whole, SHORTCUT_THRESHOLDS) is whole
    assert prediction_shortcut(
        with_ngrams(whole, ("b", 0.9), ("a", 0.01)), Thresholds(answer=0.7, suggest=0.5)
    ) == with_ngrams(whole, ("b", 0.9), ("a", 0.01))


def shortcut_cases(ngrams_right_below: int) -> tuple[list[IntentPrediction], list[str]]:
    """300 held-back questions the whole model answers right; the n-grams lead by 5 down to
    0.02 (in order) and are right on the first `ngrams_right_below` of them."""
    predictions, gold = [], []
    for n in range(300):
        margin = 5 - n / 60
        ngram_intent = "a" if n < ngrams_right_below else "b"
        ngram_top = ((ngram_intent, 0.5), ("c", 0.5 / math.exp(margin)), ("d", 0.001))
        predictions.append(
            with_ngrams(prediction(("a", 0.95), ("b", 0.03), ("d", 0.01)), *ngram_top)
        )
        gold.append("a")
    return predictions, gold


def test_the_shortcut_margin_is_the_lowest_where_the_ngrams_are_as_right_as_the_whole_model():
    predictions, gold = shortcut_cases(ngrams_right_below=120)

    thresholds = thresholds_calibrate(predictions, gold, out_of_scope_share=0.0)

    # The 120th case leads by 5 - 119 / 60; below it the n-grams are wrong.
    assert thresholds.shortcut_margin == pytest.approx(5 - 119 / 60, abs=1e-6)
    assert thresholds.calibration_shortcut == pytest.approx(120 / 300)


def test_there_is_no_shortcut_where_the_ngrams_are_wrong_when_sure():
    predictions, gold = shortcut_cases(ngrams_right_below=0)

    assert thresholds_calibrate(predictions, gold, out_of_scope_share=0.0).shortcut_margin == NEVER


def test_too_few_held_back_predictions_give_no_shortcut():
    predictions, gold = shortcut_cases(ngrams_right_below=300)

    thresholds = thresholds_calibrate(
        predictions[: SHORTCUT_EXAMPLES_MIN - 1],
        gold[: SHORTCUT_EXAMPLES_MIN - 1],
        out_of_scope_share=0.0,
    )

    assert thresholds.shortcut_margin == NEVER


def test_thresholds_stored_before_the_shortcut_never_take_it():
    stored = Thresholds(answer=0.7, suggest=0.5).to_dict()
    del stored["shortcut_margin"], stored["calibration_shortcut"]

    assert Thresholds.from_dict(stored).shortcut_margin == NEVER
