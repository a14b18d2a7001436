"""Evaluate the intent classifier: train a fresh model on one file, test on another.

What `manage.py bot_eval` and `benchmarks/bot_eval_clinc.py` report. Nothing
here touches the database or a live model. Files are JSON lines
`{"text": ..., "intent": ...}`; intent "oos" marks a question the bot must not answer.
"""

import copy
import dataclasses
import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.nlu.calibration import (
    OOS_INTENT,
    Band,
    Thresholds,
    decide,
    prediction_shortcut,
    thresholds_calibrate,
)
from bot.nlu.intents import (
    HeldBackPredictions,
    IntentHyperparameters,
    IntentModel,
    IntentPrediction,
    IntentTrainingLog,
)
from bot.nlu.training import intent_model_build

LATENCY_SAMPLE_DEFAULT = 1000
# Held-back predictions are judged in this many groups, each with thresholds
# calibrated on the others (see intent_held_back_evaluate).
CROSS_FITTING_GROUPS = 5
# Shares of out-of-scope questions at which answer precision is reported: CLINC150's
# test set has 18 %, and precision must hold up to 25 %.
OUT_OF_SCOPE_SHARES_REPORTED = (0.18, 0.25)


class IntentDataError(ValueError):
    """A data file the evaluation cannot read; the message names file and line."""


def intent_examples_read(path: Path, *, skipped: list[str] | None = None) -> list[tuple[str, str]]:
    """(text, intent) pairs from a JSON-lines file; blank lines are skipped.

    A line that is not an example (bad JSON, an empty text or intent) raises
    IntentDataError naming file and line; with a `skipped` list it is skipped and
    that message appended instead (public data sets have a few such lines).
    """
    path = Path(path)
    examples = []
    try:
        with open(path, encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                try:
                    examples.append(_example_parse(line, where=f"{path}, line {number}"))
                except IntentDataError as error:
                    if skipped is None:
                        raise
                    skipped.append(str(error))
    except FileNotFoundError as error:
        raise IntentDataError(f"{path}: no such file.") from error
    except IsADirectoryError as error:
        raise IntentDataError(f"{path}: is a directory, not a file.") from error
    except UnicodeDecodeError as error:
        raise IntentDataError(f"{path}: not UTF-8 text ({error.reason}).") from error
    if not examples:
        raise IntentDataError(f"{path}: no examples.")
    return examples


def _example_parse(line: str, *, where: str) -> tuple[str, str]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise IntentDataError(f"{where}: not valid JSON ({error.msg}).") from error
    if not isinstance(row, dict):
        raise IntentDataError(f'{where}: expected an object {{"text": ..., "intent": ...}}.')
    for key in ("text", "intent"):
        value = row.get(key)
        if not isinstance(value, str) or not value.strip():
            raise IntentDataError(f'{where}: "{key}" must be a non-empty string.')
    return row["text"], row["intent"].strip()


@dataclass(frozen=True)
class IntentEvaluation:
    language: str
    intents: int
    train_examples: int
    # How the thresholds were calibrated, and on how many predictions.
    calibration: str
    calibration_examples: int
    test_examples: int
    test_out_of_scope: int
    # Top-1 on in-scope test questions, whatever the band.
    in_scope_accuracy: float | None
    # Out-of-scope questions not answered automatically / unanswered ones that were out of scope.
    out_of_scope_recall: float | None
    out_of_scope_precision: float | None
    automation_rate: float
    # Automatic answers that were right; an answered out-of-scope question is wrong.
    answer_precision: float | None
    suggestion_rate: float
    # Suggested questions whose true intent was among the suggestions.
    suggestion_hit_rate: float | None
    escalation_rate: float
    # In-scope questions answered automatically and right (of all in-scope questions).
    in_scope_answered_right: float | None
    # Answer precision were OUT_OF_SCOPE_SHARES_REPORTED of the questions out of scope
    # (the test's out-of-scope questions reweighted), {"0.18": ..., "0.25": ...}.
    answer_precision_at_share: dict[str, float | None]
    training_seconds: float
    # CPU time of this process: what training costs, whatever else runs on the machine.
    training_cpu_seconds: float
    epochs: int
    latency_p50_ms: float
    latency_p95_ms: float
    answer_threshold: float | None
    suggest_threshold: float | None
    suggestions: int
    # The out-of-scope share the thresholds were calibrated for.
    out_of_scope_share: float
    classifier: str = "supportdesk"
    # CPU milliseconds per message (p50, this thread's time): the budget's measure.
    latency_cpu_p50_ms: float = 0.0
    # Questions answered from the n-grams alone, the sentence not encoded.
    shortcut_rate: float = 0.0
    # CPU milliseconds per message, mean: what the shortcut saves shows here (the median
    # is of whichever path most messages take).
    latency_cpu_mean_ms: float = 0.0
    # The same model measured always encoding the sentence (its figures), when it has a
    # shortcut: what the shortcut changes, in the same run.
    shortcut_off: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _threshold_value(threshold: float) -> float | None:
    # JSON has no infinity; "never" is null.
    return None if math.isinf(threshold) else threshold


def _percentile(values: Sequence[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def latency_measure(
    model: IntentModel, texts: Sequence[str], *, thresholds: Thresholds
) -> tuple[float, float, float, float]:
    """p50 and p95 wall-clock milliseconds of classifying one message and choosing its
    band, and the p50 and mean of the CPU milliseconds it took (this thread's): on a
    busy machine the wall clock also counts other processes' turns."""
    if not texts:
        return 0.0, 0.0, 0.0, 0.0
    model.predict_one(texts[0])  # warm-up: first-call allocations are not the steady state
    timings, cpu_timings = [], []
    for text in texts:
        started, started_cpu = time.perf_counter(), time.thread_time()
        decide(model.predict_one(text), thresholds)
        cpu_timings.append((time.thread_time() - started_cpu) * 1000)
        timings.append((time.perf_counter() - started) * 1000)
    return (
        _percentile(timings, 0.5),
        _percentile(timings, 0.95),
        _percentile(cpu_timings, 0.5),
        statistics.fmean(cpu_timings),
    )


def intent_evaluation_run(
    *,
    train: Sequence[tuple[str, str]],
    test: Sequence[tuple[str, str]],
    language: str,
    seed: int = 0,
    target_precision: float | None = None,
    out_of_scope_share: float | None = None,
    hyperparameters: IntentHyperparameters | None = None,
    latency_sample: int = LATENCY_SAMPLE_DEFAULT,
    trainer: Callable[..., IntentModel] | None = None,
) -> IntentEvaluation:
    """Train and calibrate a fresh model on `train` (with `trainer`: the baseline's,
    see `bot.nlu.baseline`), measure it on `test`."""
    log = IntentTrainingLog()
    started, started_cpu = time.perf_counter(), time.process_time()
    model = intent_model_build(
        train,
        language=language,
        seed=seed,
        target_precision=target_precision,
        out_of_scope_share=out_of_scope_share,
        hyperparameters=hyperparameters,
        log=log,
        trainer=trainer,
    )
    figures = {
        "train_examples": len(train),
        "training_seconds": time.perf_counter() - started,
        "training_cpu_seconds": time.process_time() - started_cpu,
        "epochs": log.epoch_best,
        "latency_sample": latency_sample,
    }
    # The time a message takes is measured on the model as the chat has it: loaded from its
    # stored bytes (one trained in this process has every training word in spaCy's caches
    # already, which a loaded one prepares at load).
    timed = IntentModel.from_bytes(model.to_bytes()) if isinstance(model, IntentModel) else model
    shortcut_off = None
    if model.thresholds is not None and not math.isinf(model.thresholds.shortcut_margin):
        # The same model always encoding: what the shortcut changes, in the same run.
        always_encoding, timed_always_encoding = copy.copy(model), copy.copy(timed)
        always_encoding.thresholds = timed_always_encoding.thresholds = dataclasses.replace(
            model.thresholds, shortcut_margin=math.inf
        )
        shortcut_off = intent_model_evaluate(
            always_encoding, test, latency_model=timed_always_encoding, **figures
        ).to_dict()
    evaluation = intent_model_evaluate(model, test, latency_model=timed, **figures)
    return dataclasses.replace(evaluation, shortcut_off=shortcut_off)


def intent_model_evaluate(
    model: IntentModel,
    test: Sequence[tuple[str, str]],
    *,
    train_examples: int,
    training_seconds: float,
    training_cpu_seconds: float,
    epochs: int,
    thresholds: Thresholds | None = None,
    latency_sample: int = LATENCY_SAMPLE_DEFAULT,
    latency_model: IntentModel | None = None,
) -> IntentEvaluation:
    """Measure a trained model on `test` with its own or the given thresholds; the time a
    message takes on `latency_model` (the same model loaded from its bytes) if given."""
    thresholds = thresholds or model.thresholds
    if thresholds is None:
        raise ValueError("The model has no calibrated thresholds; pass some.")
    texts = [text for text, _ in test]
    predictions = model.predict(texts, top_k=thresholds.suggestions)
    return _evaluation(
        model,
        test,
        predictions,
        [decide(prediction, thresholds) for prediction in predictions],
        thresholds=thresholds,
        train_examples=train_examples,
        training_seconds=training_seconds,
        training_cpu_seconds=training_cpu_seconds,
        epochs=epochs,
        latency_sample=latency_sample,
        latency_model=latency_model,
    )


def intent_held_back_evaluate(
    model: IntentModel,
    held_back: HeldBackPredictions,
    *,
    train_examples: int,
    training_seconds: float,
    training_cpu_seconds: float,
    epochs: int,
    latency_sample: int = LATENCY_SAMPLE_DEFAULT,
) -> IntentEvaluation:
    """Measure a model on the examples held back while building it (`log.held_back` of
    `intent_model_build`), without a separate test set: what the quality gate compares.

    The model's thresholds were calibrated on these very predictions, and judged
    with them they would look as good as the target by construction. So each of
    CROSS_FITTING_GROUPS groups (stratified by intent) is judged with thresholds
    calibrated, to the same targets, on the other groups' predictions: as the
    calibration does on questions it never saw.
    """
    thresholds = model.thresholds
    if thresholds is None:
        raise ValueError("The model has no calibrated thresholds.")
    gold = [intent for _, intent in held_back.examples]
    order = sorted(range(len(gold)), key=lambda i: (gold[i], i))
    group_of = {i: position % CROSS_FITTING_GROUPS for position, i in enumerate(order)}
    bands: list[Band] = [Band.ESCALATE] * len(gold)
    predictions = list(held_back.predictions)
    for group in range(CROSS_FITTING_GROUPS):
        others = [i for i in range(len(gold)) if group_of[i] != group]
        group_thresholds = thresholds_calibrate(
            [held_back.predictions[i] for i in others],
            [gold[i] for i in others],
            target_precision=thresholds.target_precision,
            suggest_target=thresholds.suggest_target,
            out_of_scope_share=thresholds.out_of_scope_share,
            suggestions=thresholds.suggestions,
        )
        for i in range(len(gold)):
            if group_of[i] == group:
                # As the model would have answered it: from the n-grams alone when sure.
                predictions[i] = prediction_shortcut(predictions[i], group_thresholds)
                bands[i] = decide(predictions[i], group_thresholds)
    return _evaluation(
        model,
        held_back.examples,
        predictions,
        bands,
        thresholds=thresholds,
        train_examples=train_examples,
        training_seconds=training_seconds,
        training_cpu_seconds=training_cpu_seconds,
        epochs=epochs,
        latency_sample=latency_sample,
    )


def _evaluation(
    model: IntentModel,
    test: Sequence[tuple[str, str]],
    predictions: Sequence[IntentPrediction],
    bands: Sequence[Band],
    *,
    thresholds: Thresholds,
    train_examples: int,
    training_seconds: float,
    training_cpu_seconds: float,
    epochs: int,
    latency_sample: int,
    latency_model: IntentModel | None = None,
) -> IntentEvaluation:
    texts = [text for text, _ in test]
    gold = [intent for _, intent in test]
    in_scope = [i for i, intent in enumerate(gold) if intent != OOS_INTENT]
    out_of_scope = [i for i, intent in enumerate(gold) if intent == OOS_INTENT]
    answered = [i for i, band in enumerate(bands) if band == Band.ANSWER]
    unanswered = [i for i, band in enumerate(bands) if band != Band.ANSWER]
    suggested = [i for i, band in enumerate(bands) if band == Band.SUGGEST]
    offered = thresholds.suggestions
    latency_p50, latency_p95, latency_cpu_p50, latency_cpu_mean = latency_measure(
        latency_model or model, texts[:latency_sample], thresholds=thresholds
    )
    return IntentEvaluation(
        language=model.language,
        intents=len(model.labels),
        train_examples=train_examples,
        calibration=model.metadata.get("calibration", ""),
        calibration_examples=model.metadata.get("calibration_examples", 0),
        test_examples=len(test),
        test_out_of_scope=len(out_of_scope),
        in_scope_accuracy=_share(
            sum(predictions[i].intent == gold[i] for i in in_scope), len(in_scope)
        ),
        out_of_scope_recall=_share(
            sum(bands[i] != Band.ANSWER for i in out_of_scope), len(out_of_scope)
        ),
        out_of_scope_precision=_share(
            sum(gold[i] == OOS_INTENT for i in unanswered), len(unanswered)
        ),
        automation_rate=len(answered) / len(test) if test else 0.0,
        answer_precision=_share(
            sum(predictions[i].intent == gold[i] for i in answered), len(answered)
        ),
        suggestion_rate=len(suggested) / len(test) if test else 0.0,
        suggestion_hit_rate=_share(
            sum(gold[i] in predictions[i].intents_top[:offered] for i in suggested),
            len(suggested),
        ),
        escalation_rate=list(bands).count(Band.ESCALATE) / len(test) if test else 0.0,
        in_scope_answered_right=_share(
            sum(predictions[i].intent == gold[i] for i in answered if gold[i] != OOS_INTENT),
            len(in_scope),
        ),
        answer_precision_at_share={
            f"{share:.2f}": answer_precision_at_share(
                predictions, gold, bands, out_of_scope_share=share
            )
            for share in OUT_OF_SCOPE_SHARES_REPORTED
        },
        training_seconds=training_seconds,
        training_cpu_seconds=training_cpu_seconds,
        epochs=epochs,
        latency_p50_ms=latency_p50,
        latency_p95_ms=latency_p95,
        latency_cpu_p50_ms=latency_cpu_p50,
        latency_cpu_mean_ms=latency_cpu_mean,
        shortcut_rate=sum(p.shortcut for p in predictions) / len(test) if test else 0.0,
        answer_threshold=_threshold_value(thresholds.answer),
        suggest_threshold=_threshold_value(thresholds.suggest),
        suggestions=thresholds.suggestions,
        out_of_scope_share=thresholds.out_of_scope_share,
        classifier=model.metadata.get("classifier", "supportdesk"),
    )


def answer_precision_at_share(
    predictions: Sequence[IntentPrediction],
    gold: Sequence[str],
    bands: Sequence[Band],
    *,
    out_of_scope_share: float,
) -> float | None:
    """The answer precision had `out_of_scope_share` of the questions been out of scope:
    the in-scope and the out-of-scope questions each keep their own rates (answered,
    answered right) and are weighted to that share. None without questions of both kinds
    or when nothing would be answered."""
    in_scope = [i for i, intent in enumerate(gold) if intent != OOS_INTENT]
    out_of_scope = [i for i, intent in enumerate(gold) if intent == OOS_INTENT]
    if not in_scope or not out_of_scope:
        return None
    right = sum(bands[i] == Band.ANSWER and predictions[i].intent == gold[i] for i in in_scope)
    answered_in = sum(bands[i] == Band.ANSWER for i in in_scope)
    answered_out = sum(bands[i] == Band.ANSWER for i in out_of_scope)
    weight_in = (1 - out_of_scope_share) / len(in_scope)
    weight_out = out_of_scope_share / len(out_of_scope)
    answered = weight_in * answered_in + weight_out * answered_out
    return weight_in * right / answered if answered else None


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def intent_evaluation_lines(evaluation: IntentEvaluation) -> list[str]:
    """The human-readable report."""
    e = evaluation
    never = "never"
    answer = never if e.answer_threshold is None else f"{e.answer_threshold:.3f}"
    suggest = never if e.suggest_threshold is None else f"{e.suggest_threshold:.3f}"
    calibration = (
        f"calibrated by {e.calibration} ({e.calibration_examples} predictions)"
        if e.calibration_examples
        else e.calibration or "not calibrated"
    )
    lines = [
        f"{e.classifier} ({e.language}, {e.intents} intents) from {e.train_examples} "
        f"examples, {calibration}, tested on {e.test_examples} questions "
        f"({e.test_out_of_scope} out of scope).",
        f"  in-scope accuracy      {_figure(e.in_scope_accuracy)}",
        f"  out-of-scope recall    {_figure(e.out_of_scope_recall)}"
        f"   precision {_figure(e.out_of_scope_precision)}",
        f"  automation rate        {_figure(e.automation_rate)}",
        f"  answer precision       {_figure(e.answer_precision)}",
        f"  suggestion rate        {_figure(e.suggestion_rate)}"
        f"   true intent among the {e.suggestions} suggested {_figure(e.suggestion_hit_rate)}",
        f"  escalation rate        {_figure(e.escalation_rate)}",
        f"  in scope, answered right automatically {_figure(e.in_scope_answered_right)}",
        "  answer precision at out-of-scope share "
        + ", ".join(
            f"{float(share):.0%}: {_figure(value)}"
            for share, value in e.answer_precision_at_share.items()
        )
        + f" (calibrated for {e.out_of_scope_share:.0%})",
        f"  thresholds             answer at confidence >= {answer}, "
        f"suggest at top-{e.suggestions} probability >= {suggest}",
        f"  training               {e.training_seconds:.1f} s "
        f"(CPU {e.training_cpu_seconds:.1f} s, {e.epochs} epochs)",
        f"  latency per message    p50 {e.latency_p50_ms:.2f} ms, p95 {e.latency_p95_ms:.2f} ms"
        f" (CPU p50 {e.latency_cpu_p50_ms:.2f} ms, mean {e.latency_cpu_mean_ms:.2f} ms)",
        f"  answered from n-grams  {e.shortcut_rate:.3f} (sentence not encoded)",
    ]
    if e.shortcut_off is not None:
        off = e.shortcut_off
        lines.append(
            "  always encoding        "
            f"in scope answered right {_figure(off['in_scope_answered_right'])}, "
            f"answer precision {_figure(off['answer_precision'])}, "
            f"CPU per message mean {off['latency_cpu_mean_ms']:.2f} ms (same model)"
        )
    return lines


# The figures compared with the baseline (ours / baseline).
COMPARED_FIGURES = (
    ("in_scope_accuracy", "in-scope accuracy (top-1)"),
    ("in_scope_answered_right", "in scope, answered right"),
    ("answer_precision", "answer precision"),
    ("automation_rate", "automation rate"),
    ("out_of_scope_recall", "out-of-scope recall"),
    ("training_seconds", "training seconds"),
    ("latency_p50_ms", "latency p50 ms"),
    ("latency_cpu_p50_ms", "CPU per message p50 ms"),
    ("latency_cpu_mean_ms", "CPU per message mean ms"),
)


def evaluation_ratios(ours: IntentEvaluation, baseline: IntentEvaluation) -> dict:
    """ours / baseline for each compared figure (None where either is missing or 0)."""
    ratios = {}
    for key, _ in COMPARED_FIGURES:
        mine, theirs = getattr(ours, key), getattr(baseline, key)
        ratios[key] = mine / theirs if mine is not None and theirs else None
    return ratios


def intent_comparison_run(
    *,
    train: Sequence[tuple[str, str]],
    test: Sequence[tuple[str, str]],
    language: str,
    seed: int = 0,
    out_of_scope_share: float | None = None,
    latency_sample: int = LATENCY_SAMPLE_DEFAULT,
) -> dict:
    """Ours and the tf-idf + logistic regression baseline, each trained, calibrated and
    measured on the same split: {"ours", "baseline", "ratios"}."""
    # scikit-learn takes seconds to import: only the comparison pays for it.
    from bot.nlu.baseline import baseline_model_train

    runs = {
        name: intent_evaluation_run(
            train=train,
            test=test,
            language=language,
            seed=seed,
            out_of_scope_share=out_of_scope_share,
            latency_sample=latency_sample,
            trainer=trainer,
        )
        for name, trainer in (("ours", None), ("baseline", baseline_model_train))
    }
    return {**runs, "ratios": evaluation_ratios(runs["ours"], runs["baseline"])}


def intent_comparison_lines(ours: IntentEvaluation, baseline: IntentEvaluation) -> list[str]:
    """A table of ours beside the baseline, with the ratio."""
    ratios = evaluation_ratios(ours, baseline)
    lines = [f"{'':30}{'ours':>10}{'baseline':>10}{'ratio':>8}"]
    for key, label in COMPARED_FIGURES:
        mine, theirs, ratio = getattr(ours, key), getattr(baseline, key), ratios[key]
        lines.append(
            f"{label:30}{_figure(mine):>10}{_figure(theirs):>10}"
            + (f"{ratio:>8.2f}" if ratio is not None else f"{'n/a':>8}")
        )
    return lines
