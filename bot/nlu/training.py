"""Train a classifier and calibrate its thresholds: what a training run produces."""

import dataclasses
import random
import time
from collections.abc import Callable, Sequence

from bot.nlu.calibration import OOS_INTENT, thresholds_calibrate
from bot.nlu.intents import (
    HeldBackPredictions,
    IntentHyperparameters,
    IntentModel,
    IntentTrainingLog,
    intent_epochs_for_updates,
    intent_examples_split,
    intent_model_train,
)

HELD_BACK_SHARE_DEFAULT = 0.15
CROSS_VALIDATION_FOLDS = 5
# Up to this many in-scope examples, calibration uses every example through
# cross-validation; above it, one held-back split is plenty and 5 extra trainings cost.
CROSS_VALIDATION_MAX_EXAMPLES = 3000
# More than the suggestions, so calibration can leave the true intent out of the top.
CALIBRATION_TOP_K = 6

Examples = Sequence[tuple[str, str]]


def intent_examples_folds(examples: Examples, *, folds: int, seed: int = 0) -> list[list]:
    """`folds` parts, each intent's examples dealt round-robin; deterministic for a seed."""
    by_intent: dict[str, list[tuple[str, str]]] = {}
    for example in examples:
        by_intent.setdefault(example[1], []).append(example)
    rng = random.Random(seed)
    parts: list[list[tuple[str, str]]] = [[] for _ in range(folds)]
    position = 0
    for intent in sorted(by_intent):
        group = list(by_intent[intent])
        rng.shuffle(group)
        for example in group:
            # Continue where the last intent stopped, so small intents spread evenly.
            parts[position % folds].append(example)
            position += 1
    return parts


def intent_model_build(
    examples: Examples,
    *,
    language: str,
    seed: int = 0,
    folds: int | None = None,
    held_back_share: float = HELD_BACK_SHARE_DEFAULT,
    target_precision: float | None = None,
    out_of_scope_share: float | None = None,
    hyperparameters: IntentHyperparameters | None = None,
    log: IntentTrainingLog | None = None,
    trainer: Callable[..., IntentModel] | None = None,
) -> IntentModel:
    """A trained model with calibrated thresholds, from (text, intent) pairs.

    `trainer` trains one model (default `intent_model_train`); the evaluation passes
    the baseline's (`bot.nlu.baseline.baseline_model_train`), so both are held back,
    calibrated and measured alike.

    Calibration needs predictions on examples the weights did not see:
    - small data sets (up to CROSS_VALIDATION_MAX_EXAMPLES, or `folds` > 1):
      `folds`-fold cross-validation predicts every example once, then the model
      trains on all examples (as scikit-learn's CalibratedClassifierCV with
      ensemble=False). A fold holds back a few examples an intent, too few to stop
      early on (one example more or less right moves its accuracy by steps), so the
      fold models and the final one all train `updates_cross_validated` updates (at
      most `epochs_max` epochs): their confidences share a scale, so the thresholds
      fit the final model;
    - larger ones (or `folds=1`): a stratified `held_back_share` is held back;
      training stops early on it, the thresholds are calibrated on it, and the
      model keeps the weights that never saw it.
    Out-of-scope examples ("oos") only ever serve calibration. `log.held_back`
    keeps the predictions calibrated on; the quality gate measures them
    (`bot.nlu.evaluation.intent_held_back_evaluate`).
    """
    log = log if log is not None else IntentTrainingLog()
    hyperparameters = hyperparameters or IntentHyperparameters()
    trainer = trainer or intent_model_train
    started = time.perf_counter()
    if folds is None:
        in_scope = sum(intent != OOS_INTENT for _, intent in examples)
        folds = CROSS_VALIDATION_FOLDS if in_scope <= CROSS_VALIDATION_MAX_EXAMPLES else 1
    if folds > 1:
        model, held_back = _cross_validated(
            examples,
            language=language,
            seed=seed,
            folds=folds,
            hyperparameters=hyperparameters,
            log=log,
            trainer=trainer,
        )
    else:
        fit, held = intent_examples_split(examples, share=held_back_share, seed=seed)
        model = trainer(
            fit,
            language=language,
            seed=seed,
            validation=held,
            hyperparameters=hyperparameters,
            log=log,
        )
        held_back = HeldBackPredictions(
            examples=tuple(held),
            predictions=tuple(model.predict([text for text, _ in held], top_k=CALIBRATION_TOP_K)),
            parts=(0,) * len(held),
        )
    log.held_back = held_back
    model.thresholds = thresholds_calibrate(
        held_back.predictions,
        [intent for _, intent in held_back.examples],
        target_precision=target_precision,
        out_of_scope_share=out_of_scope_share,
    )
    log.seconds = time.perf_counter() - started
    model.metadata.update(
        {
            "calibration": f"{folds}-fold cross-validation" if folds > 1 else "held-back split",
            "calibration_examples": len(held_back.examples),
            "training_seconds": round(log.seconds, 3),
        }
    )
    return model


def _cross_validated(
    examples: Examples,
    *,
    language: str,
    seed: int,
    folds: int,
    hyperparameters: IntentHyperparameters,
    log: IntentTrainingLog,
    trainer: Callable[..., IntentModel],
) -> tuple[IntentModel, HeldBackPredictions]:
    everything = [example for example in examples if example[1] != OOS_INTENT]
    epochs = intent_epochs_for_updates(
        len(everything),
        updates=hyperparameters.updates_cross_validated,
        hyperparameters=hyperparameters,
    )
    fixed = dataclasses.replace(hyperparameters, epochs_max=min(hyperparameters.epochs_max, epochs))
    parts = intent_examples_folds(examples, folds=folds, seed=seed)
    predictions = []
    for index, held in enumerate(parts):
        fit = [
            example
            for other, part in enumerate(parts)
            if other != index
            for example in part
            if example[1] != OOS_INTENT
        ]
        fold_model = trainer(fit, language=language, seed=seed + index, hyperparameters=fixed)
        predictions += fold_model.predict([text for text, _ in held], top_k=CALIBRATION_TOP_K)
    model = trainer(everything, language=language, seed=seed, hyperparameters=fixed, log=log)
    held_back = HeldBackPredictions(
        examples=tuple(example for part in parts for example in part),
        predictions=tuple(predictions),
        parts=tuple(index for index, part in enumerate(parts) for _ in part),
    )
    return model, held_back
