"""The bot's model lifecycle: train from the knowledge base, gate on quality, activate.

Training data are the example questions of active intents: the operator's and
the redacted questions agents taught (never raw customer text). Each run is a
versioned artefact (file, SHA-256, metrics on held-back examples, fingerprint
of its training data). The model learns from every example; its metrics come
from the predictions its calibration held back (cross-validated on a knowledge
base of usual size). A new model becomes active only if it is not worse than
the active one on them, within BOT_MODEL_TOLERANCE; an older one can be
re-activated (roll back). Every process picks up the active
model on its own (bot.chat.answerer_get), without a restart.
"""

import hashlib
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from bot.models import BotModel
from bot.nlu.calibration import OOS_INTENT
from bot.nlu.evaluation import intent_held_back_evaluate
from bot.nlu.intents import HeldBackPredictions, IntentModel, IntentTrainingLog
from bot.nlu.training import intent_model_build
from bot.selectors import example_questions_learnable

MODEL_FOLDER = "models"
# The quality gate compares these held-back figures with the active model's.
GATED_METRICS = ("in_scope_accuracy", "answer_precision")


def training_examples(*, language: str) -> list[tuple[str, str]]:
    """(text, intent slug) of every example question of an active intent in the language,
    less those of people who objected to learning or did not consent to it: a later
    objection changes the fingerprint, so the next training run leaves them out."""
    return list(
        example_questions_learnable()
        .filter(language=language, intent__is_active=True)
        .order_by("intent__slug", "id")
        .values_list("text", "intent__slug")
    )


def training_fingerprint(examples: list[tuple[str, str]]) -> str:
    lines = sorted(f"{intent}\t{text}" for text, intent in examples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _model_path(file_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / MODEL_FOLDER / file_name


def bot_model_load(record: BotModel) -> IntentModel:
    """The stored model, after checking its checksum (a changed file is refused)."""
    data = _model_path(record.file_name).read_bytes()
    if hashlib.sha256(data).hexdigest() != record.checksum:
        raise ValidationError(f"The file of {record} does not match its checksum.")
    return IntentModel.from_bytes(data)


def keyword_baseline_metrics(
    *, examples: list[tuple[str, str]], held_back: HeldBackPredictions, language: str
) -> dict:
    """The keyword matcher's figures on the model's held-back examples, each part
    answered from the examples outside it (as the model's predictions were).

    It answers while no model is active, so the first model must beat it too.
    """
    from bot.answering import KeywordAnswerer, KnowledgeEntry
    from bot.dialog import Band

    everything = Counter(example for example in examples if example[1] != OOS_INTENT)
    answers = []
    for part in sorted(set(held_back.parts)):
        questions = [
            example
            for example, where in zip(held_back.examples, held_back.parts, strict=True)
            if where == part
        ]
        # The examples outside the part: all of them less the part's (duplicates counted).
        fit = everything.copy()
        fit.subtract(questions)
        by_intent: dict[str, list[str]] = {}
        for (text, intent), count in sorted(fit.items()):
            by_intent.setdefault(intent, []).extend([text] * max(0, count))
        answerer = KeywordAnswerer(
            [
                KnowledgeEntry(intent, language, intent, "", tuple(texts))
                for intent, texts in by_intent.items()
                if texts
            ],
            answer_threshold=settings.BOT_FALLBACK_ANSWER_THRESHOLD,
            suggest_threshold=settings.BOT_FALLBACK_SUGGEST_THRESHOLD,
        )
        answers += [(answerer.answer(text, language), intent) for text, intent in questions]
    answered = [(a, intent) for a, intent in answers if a is not None and a.band == Band.ANSWER]
    return {
        "in_scope_accuracy": (
            sum(a is not None and a.intent_slug == intent for a, intent in answers) / len(answers)
            if answers
            else None
        ),
        "answer_precision": (
            sum(a.intent_slug == intent for a, intent in answered) / len(answered)
            if answered
            else None
        ),
        "automation_rate": len(answered) / len(answers) if answers else 0.0,
    }


def quality_gate(*, candidate: dict, active: dict | None, tolerance: float) -> list[str]:
    """Why the candidate is worse than the active model (empty: it may ship)."""
    if not active:
        return []
    reasons = []
    for metric in GATED_METRICS:
        new, old = candidate.get(metric), active.get(metric)
        if old is not None and (new is None or new < old - tolerance):
            reasons.append(f"{metric} {new} < {old} - {tolerance}")
    return reasons


def bot_model_train(*, language: str, seed: int = 0, force: bool = False) -> BotModel | None:
    """Train, evaluate and (if the gate passes) activate a new model for the language.

    Returns None without training when the active model was trained on exactly
    these examples (nothing new to learn), unless `force`.
    """
    examples = training_examples(language=language)
    if len({intent for _, intent in examples}) < 2:
        raise ValidationError(f"Too few intents with {language} examples to train a model.")
    fingerprint = training_fingerprint(examples)
    active = BotModel.objects.filter(language=language, status=BotModel.Status.ACTIVE).first()
    if active and active.training_fingerprint == fingerprint and not force:
        return None
    with transaction.atomic():
        version = (
            BotModel.objects.select_for_update()
            .filter(language=language)
            .aggregate(last=Max("version"))["last"]
            or 0
        ) + 1
        record = BotModel.objects.create(
            language=language,
            version=version,
            training_fingerprint=fingerprint,
            examples_count=len(examples),
        )
    try:
        log = IntentTrainingLog()
        started, cpu_started = time.perf_counter(), time.process_time()
        model = intent_model_build(examples, language=language, seed=seed, log=log)
        evaluation = intent_held_back_evaluate(
            model,
            log.held_back,
            train_examples=len(examples),
            training_seconds=time.perf_counter() - started,
            training_cpu_seconds=time.process_time() - cpu_started,
            epochs=log.epoch_best,
        )
        data = model.to_bytes()
        file_name = f"{language}-v{version}-{fingerprint[:12]}.model"
        path = _model_path(file_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except Exception as error:  # recorded on the model; the caller (a task) does not retry
        BotModel.objects.filter(pk=record.pk).update(
            status=BotModel.Status.FAILED, error=str(error)[:500]
        )
        raise
    record.file_name = file_name
    record.checksum = hashlib.sha256(data).hexdigest()
    baseline = keyword_baseline_metrics(
        examples=examples, held_back=log.held_back, language=language
    )
    record.metrics = {**evaluation.to_dict(), "keyword_baseline": baseline}
    record.thresholds = model.thresholds.to_dict() if model.thresholds else {}
    reasons = quality_gate(
        candidate=record.metrics,
        # Without an active model the keyword matcher answers: the first model must beat it.
        active=active.metrics if active else baseline,
        tolerance=settings.BOT_MODEL_TOLERANCE,
    )
    record.status = BotModel.Status.REJECTED if reasons else BotModel.Status.READY
    record.error = "; ".join(reasons)[:500]
    record.save(update_fields=["file_name", "checksum", "metrics", "thresholds", "status", "error"])
    if not reasons:
        bot_model_activate(record=record)
    return record


@transaction.atomic
def bot_model_activate(*, record: BotModel) -> BotModel:
    """Make this model the language's active one (also to roll back to an older one)."""
    if (
        record.status
        not in (
            BotModel.Status.READY,
            BotModel.Status.RETIRED,
            BotModel.Status.REJECTED,
            BotModel.Status.ACTIVE,
        )
        or not record.file_name
    ):
        raise ValidationError("Only a trained model can be activated.")
    BotModel.objects.filter(language=record.language, status=BotModel.Status.ACTIVE).exclude(
        pk=record.pk
    ).update(status=BotModel.Status.RETIRED)
    BotModel.objects.filter(pk=record.pk).update(
        status=BotModel.Status.ACTIVE, activated_at=timezone.now()
    )
    record.refresh_from_db()
    return record
