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

Integrity is loud: an active model whose file is missing, changed (or truncated) or
cannot be deserialised is never a silent downgrade to the keyword matcher. It is
logged at ERROR (once per process and change of state), reported by the health
check "bot.models" (the admin and inbox banners and /health/ read it), counted in
the analytics (Message.answer_source), and, if the training data are unchanged,
healed: a task retrains through the same quality gate and says so in the audit log.
"""

import hashlib
import logging
import os
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bot.answering import KeywordAnswerer, KnowledgeEntry
from bot.models import BotModel, ExampleQuestion
from bot.nlu.calibration import OOS_INTENT, Band
from bot.nlu.evaluation import intent_held_back_evaluate
from bot.nlu.intents import HeldBackPredictions, IntentModel, IntentTrainingLog
from bot.nlu.training import intent_model_build
from bot.selectors import (
    choice_decisions_learnt,
    choice_example_candidates,
    example_questions_learnable,
)
from platform_core.health import HealthResult
from privacy.models import AuditEvent
from privacy.redaction import text_redact
from privacy.services import audit_record

logger = logging.getLogger(__name__)

MODEL_FOLDER = "models"
# Why a model cannot be used (BotModelDamaged.problem, the health report's "reason").
MISSING = "missing"
CHANGED = "checksum_mismatch"  # changed or truncated: the bytes are not the trained ones
UNREADABLE = "unreadable"  # the right bytes, but they cannot be deserialised
# One self-healing run per damaged model and problem, across processes sharing the cache.
HEAL_REQUEST_SECONDS = 6 * 3600
# The quality gate compares these held-back figures with the active model's.
GATED_METRICS = ("in_scope_accuracy", "answer_precision")


def training_examples(*, language: str) -> list[tuple[str, str]]:
    """(text, intent slug) of every example question of an active intent in the language,
    less those of people who objected to learning or did not consent to it: a later
    objection changes the fingerprint, so the next training run leaves them out.

    With them the questions customers answered with a "Did you mean …?" choice that a
    supervisor approved, or any not refused with AGENTS_TEACHING_AUTO_APPROVE
    (bot.selectors.choice_example_candidates: redacted, enough consistent choices, none
    of an objecting person, no duplicate of an example); the model they train passes
    the same quality gate as any other."""
    examples = list(
        example_questions_learnable()
        .filter(language=language, intent__is_active=True)
        .order_by("intent__slug", "id")
        .values_list("text", "intent__slug")
    )
    learnt = choice_decisions_learnt()
    chosen = sorted(
        (candidate.text, candidate.intent_slug)
        for candidate in choice_example_candidates(language=language)
        if candidate.decision in learnt
    )
    return examples + sorted(chosen, key=lambda example: (example[1], example[0]))


def training_fingerprint(examples: list[tuple[str, str]]) -> str:
    lines = sorted(f"{intent}\t{text}" for text, intent in examples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _model_path(file_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / MODEL_FOLDER / file_name


class BotModelDamaged(ValidationError):
    """The model's file cannot be used; `problem` is MISSING, CHANGED or UNREADABLE."""

    def __init__(self, message: str, *, problem: str) -> None:
        super().__init__(message, code=problem)
        self.problem = problem


def bot_model_problem_text(*, record: BotModel, problem: str) -> str:
    """One translated sentence: why the model cannot answer (no personal data)."""
    texts = {
        MISSING: _("the file of model v%(version)s is missing"),
        CHANGED: _(
            "the file of model v%(version)s does not match its checksum (changed or truncated)"
        ),
        UNREADABLE: _("the file of model v%(version)s cannot be read as a model"),
    }
    return texts.get(problem, problem) % {"version": record.version}


def bot_model_load(record: BotModel) -> IntentModel:
    """The stored model, after checking its checksum (a changed file is refused).

    Raises BotModelDamaged (a ValidationError) saying which of the three problems it is.
    """
    try:
        data = _model_path(record.file_name).read_bytes() if record.file_name else None
    except FileNotFoundError:
        data = None
    except OSError as error:  # permissions, an unmounted volume, a disk error
        raise BotModelDamaged(
            f"The file of {record} cannot be read: {type(error).__name__}.", problem=UNREADABLE
        ) from error
    if data is None:
        raise BotModelDamaged(f"The file of {record} is missing.", problem=MISSING)
    if hashlib.sha256(data).hexdigest() != record.checksum:
        raise BotModelDamaged(f"The file of {record} does not match its checksum.", problem=CHANGED)
    try:
        return IntentModel.from_bytes(data)
    except Exception as error:  # msgpack, spaCy config or weights: all mean "unusable"
        raise BotModelDamaged(
            f"The file of {record} cannot be deserialised: {type(error).__name__}.",
            problem=UNREADABLE,
        ) from error


# What this process last found for each model file, keyed by its stat, so the health
# check (run per /health/ request) reads and deserialises a file only when it changed.
_verified: dict[int, tuple[tuple, str | None]] = {}


def bot_model_verify(record: BotModel) -> str | None:
    """Why the model's file cannot be used (MISSING, CHANGED, UNREADABLE), or None."""
    try:
        stat = _model_path(record.file_name).stat() if record.file_name else None
    except OSError:
        stat = None
    key = (record.checksum, stat.st_ino, stat.st_size, stat.st_mtime_ns) if stat else None
    known = _verified.get(record.pk)
    if key is not None and known is not None and known[0] == key:
        return known[1]
    try:
        bot_model_load(record)
        problem = None
    except BotModelDamaged as error:
        problem = error.problem
    _verified[record.pk] = (key, problem)
    return problem


# Per language, the (model id, problem) this process last reported: the ERROR line is
# written once per process and change of state, never per message.
_states_noted: dict[str, tuple[int, str] | None] = {}


def bot_model_state_note(*, record: BotModel, problem: str | None) -> None:
    """Report a change of the active model's usability: log it, and on damage ask for
    self-healing (once). Called by the chat's answerer and by the health check."""
    state = (record.pk, problem) if problem else None
    previous = _states_noted.get(record.language)
    if previous == state:
        return
    _states_noted[record.language] = state
    if problem:
        logger.error(
            "Bot model %s v%s (id %s) cannot be used (%s): the keyword fallback answers %s "
            "questions until it is restored, re-activated or retrained.",
            record.language,
            record.version,
            record.pk,
            problem,
            record.language,
        )
        bot_model_heal_request(record=record, problem=problem)
    elif previous is not None:
        logger.warning(
            "Bot model %s v%s (id %s) answers again.", record.language, record.version, record.pk
        )


def bot_model_heal_request(*, record: BotModel, problem: str) -> bool:
    """Queue the self-healing retrain once per damaged model and problem (ids only)."""
    # bot.tasks imports this module.
    from bot.tasks import bot_model_heal_task

    if not cache.add(f"bot:model-heal:{record.pk}:{problem}", True, HEAL_REQUEST_SECONDS):
        return False
    transaction.on_commit(lambda: bot_model_heal_task.delay(record.pk))
    return True


def bot_models_health() -> list[HealthResult]:
    """Per language: which model version answers, or that the keyword matcher does and why.

    An active model that cannot be used fails the check (the site keeps answering, worse);
    a language without any active model is healthy (the keyword matcher is then the bot).
    """
    results = []
    languages = set(ExampleQuestion.objects.values_list("language", flat=True).distinct())
    active = {
        record.language: record for record in BotModel.objects.filter(status=BotModel.Status.ACTIVE)
    }
    for language in sorted(languages | set(active)):
        name = f"bot.model.{language}"
        record = active.get(language)
        if record is None:
            results.append(
                HealthResult(
                    name=name,
                    ok=True,
                    summary=_("No model is active for %(language)s: the keyword matcher answers.")
                    % {"language": language},
                    details={"language": language, "answering": "keyword", "reason": "no_model"},
                )
            )
            continue
        problem = bot_model_verify(record)
        bot_model_state_note(record=record, problem=problem)
        if problem is None:
            results.append(
                HealthResult(
                    name=name,
                    ok=True,
                    summary=_("Model v%(version)s answers %(language)s questions.")
                    % {"version": record.version, "language": language},
                    details={"language": language, "answering": "model", "version": record.version},
                )
            )
            continue
        results.append(
            HealthResult(
                name=name,
                ok=False,
                summary=_(
                    "The keyword fallback answers %(language)s questions: %(why)s. Re-activate "
                    "the last good version or retrain in the admin (bot models)."
                )
                % {
                    "language": language,
                    "why": bot_model_problem_text(record=record, problem=problem),
                },
                details={
                    "language": language,
                    "answering": "fallback",
                    "version": record.version,
                    "reason": problem,
                },
            )
        )
    return results


# The tf-idf baseline's held-back figures kept with each model (the model card shows them).
TFIDF_BASELINE_FIGURES = (
    "in_scope_accuracy",
    "answer_precision",
    "automation_rate",
    "out_of_scope_recall",
    "in_scope_answered_right",
)


def tfidf_baseline_metrics(*, examples: list[tuple[str, str]], language: str, seed: int) -> dict:
    """The tf-idf + logistic regression baseline (`bot.nlu.baseline`) built on the same
    examples, held back, calibrated and measured as the model was (same folds for a seed):
    the reference an operator reads the model's figures against."""
    # scikit-learn takes seconds to import: only the comparison pays for it.
    from bot.nlu.baseline import BASELINE_NAME, baseline_model_train

    log = IntentTrainingLog()
    started, cpu_started = time.perf_counter(), time.process_time()
    baseline = intent_model_build(
        examples, language=language, seed=seed, log=log, trainer=baseline_model_train
    )
    evaluation = intent_held_back_evaluate(
        baseline,
        log.held_back,
        train_examples=len(examples),
        training_seconds=time.perf_counter() - started,
        training_cpu_seconds=time.process_time() - cpu_started,
        epochs=log.epoch_best,
        latency_sample=0,
    ).to_dict()
    return {"name": BASELINE_NAME} | {key: evaluation[key] for key in TFIDF_BASELINE_FIGURES}


def keyword_baseline_metrics(
    *, examples: list[tuple[str, str]], held_back: HeldBackPredictions, language: str
) -> dict:
    """The keyword matcher's figures on the model's held-back examples, each part
    answered from the examples outside it (as the model's predictions were).

    It answers while no model is active, so the first model must beat it too.
    """

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


# How many intent pairs, and examples of each, the model card shows as confusion hot spots.
CONFUSIONS_SHOWN = 5
CONFUSION_EXAMPLES = 2


def model_card_figures(*, examples: list[tuple[str, str]], held_back: HeldBackPredictions) -> dict:
    """What the model card shows beyond the gate's figures, worked out while training:
    the training examples per intent, and the intent pairs the held-back predictions
    mixed up most often, each with a few of its examples passed through the redaction
    gate again (examples are operator-written or already redacted; this is belt and
    braces, since the card is shown to people)."""
    per_intent = Counter(intent for _text, intent in examples)
    mixed: Counter = Counter()
    texts: dict[tuple[str, str], list[str]] = {}
    for (text, intent), prediction in zip(held_back.examples, held_back.predictions, strict=True):
        if prediction.intent and prediction.intent != intent:
            mixed[(intent, prediction.intent)] += 1
            texts.setdefault((intent, prediction.intent), []).append(text)
    return {
        "training_per_intent": dict(sorted(per_intent.items())),
        "held_back_examples": len(held_back.examples),
        "confusions": [
            {
                "intent": intent,
                "predicted": predicted,
                "count": count,
                "examples": [
                    text_redact(text) for text in texts[(intent, predicted)][:CONFUSION_EXAMPLES]
                ],
            }
            for (intent, predicted), count in mixed.most_common(CONFUSIONS_SHOWN)
        ],
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


def training_lease_seconds() -> int:
    """How long a "training" record may belong to a running task: the hard time limit kills
    any task after CELERY_TASK_TIME_LIMIT, so an older one was left by a dead worker."""
    return int(settings.CELERY_TASK_TIME_LIMIT * 1.1) + 1


INTERRUPTED_ERROR = "Interrupted: the worker stopped before training finished."


def bot_model_train(*, language: str, seed: int = 0, force: bool = False) -> BotModel | None:
    """Train, evaluate and (if the gate passes) activate a new model for the language.

    Returns None without training when the active model was trained on exactly
    these examples (nothing new to learn), or another run is training them now, unless
    `force`. A "training" record left by a dead worker is marked failed (interrupted).
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
        training = BotModel.objects.filter(language=language, status=BotModel.Status.TRAINING)
        lease_start = timezone.now() - timedelta(seconds=training_lease_seconds())
        if (
            not force
            and training.filter(
                training_fingerprint=fingerprint, created_at__gte=lease_start
            ).exists()
        ):
            return None  # another run is training these examples right now
        # A run older than the task's time limit cannot still be running: its worker died.
        training.filter(created_at__lt=lease_start).update(
            status=BotModel.Status.FAILED, error=INTERRUPTED_ERROR
        )
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
        tfidf_baseline = tfidf_baseline_metrics(examples=examples, language=language, seed=seed)
        data = model.to_bytes()
        # Unique per run: two installations (or a script) sharing a folder never overwrite
        # each other's files, even with the same version and training data.
        file_name = f"{language}-v{version}-{fingerprint[:12]}-{uuid.uuid4().hex[:12]}.model"
        path = _model_path(file_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole or not at all: a crash mid-write leaves no truncated model behind.
        partial = path.with_name(f".{file_name}.partial")
        partial.write_bytes(data)
        os.replace(partial, path)
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
    record.metrics = {
        **evaluation.to_dict(),
        "keyword_baseline": baseline,
        "tfidf_baseline": tfidf_baseline,
        "card": model_card_figures(examples=examples, held_back=log.held_back),
    }
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
        bot_model_activate(record=record, reason="passed the quality gate")
    return record


@transaction.atomic
def bot_model_activate(
    *,
    record: BotModel,
    acting_user: AbstractBaseUser | None = None,
    reason: str = "",
    audit_action: str = "bot.model.activated",
) -> BotModel:
    """Make this model the language's active one (also to roll back to an older one).

    Its file must be intact. Audited; `acting_user` None is the system (the quality gate).
    """
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
    problem = bot_model_verify(record)
    if problem:
        raise BotModelDamaged(
            _("Model v%(version)s cannot be activated: %(why)s.")
            % {
                "version": record.version,
                "why": bot_model_problem_text(record=record, problem=problem),
            },
            problem=problem,
        )
    BotModel.objects.filter(language=record.language, status=BotModel.Status.ACTIVE).exclude(
        pk=record.pk
    ).update(status=BotModel.Status.RETIRED)
    BotModel.objects.filter(pk=record.pk).update(
        status=BotModel.Status.ACTIVE, activated_at=timezone.now()
    )
    record.refresh_from_db()
    audit_record(
        action=audit_action,
        acting_user=acting_user,
        target=record,
        reason=reason,
        details={"language": record.language, "version": record.version},
    )
    return record


@transaction.atomic
def bot_model_reactivate_last_good(
    *, language: str, acting_user: AbstractBaseUser | None
) -> BotModel:
    """Activate the newest earlier model of the language whose file is intact (one click
    for a supervisor when the active one is damaged). Audited."""
    candidates = (
        BotModel.objects.filter(
            language=language,
            status__in=[BotModel.Status.RETIRED, BotModel.Status.READY],
        )
        .exclude(file_name="")
        .order_by(F("activated_at").desc(nulls_last=True), "-version")
    )
    for record in candidates:
        if bot_model_verify(record) is None:
            return bot_model_activate(
                record=record,
                acting_user=acting_user,
                audit_action="bot.model.reactivated",
                reason="last good version",
            )
    raise ValidationError(
        _("No earlier %(language)s model with an intact file to re-activate: retrain instead.")
        % {"language": language}
    )


@transaction.atomic
def bot_model_retrain_request(*, language: str, acting_user: AbstractBaseUser | None) -> None:
    """A supervisor asks for a new model now, even on unchanged training data. Audited;
    the task gets the audit event's id, so a redelivered task trains once."""
    event = audit_record(
        action="bot.model.retrain_requested",
        acting_user=acting_user,
        details={"language": language},
    )
    # bot.tasks imports this module.
    from bot.tasks import bot_model_retrain_task

    transaction.on_commit(lambda: bot_model_retrain_task.delay(event.pk))


def bot_model_retrain_requested(*, audit_event_id: int) -> BotModel | None:
    """Train (forced) for a retrain request, unless a model was trained since it."""

    event = AuditEvent.objects.filter(
        pk=audit_event_id, action="bot.model.retrain_requested"
    ).first()
    if event is None:
        return None
    language = event.details.get("language", "")
    if BotModel.objects.filter(language=language, created_at__gte=event.created_at).exists():
        return None
    return bot_model_train(language=language, force=True)


def bot_model_heal(*, model_id: int) -> BotModel | None:
    """Self-healing: retrain a damaged active model whose training data are unchanged.

    The new model passes the normal quality gate (against the damaged one's recorded
    figures) before it is activated. Idempotent: nothing happens once the model is no
    longer active, its file is intact again, or another run is healing it.
    """
    record = BotModel.objects.filter(pk=model_id, status=BotModel.Status.ACTIVE).first()
    if record is None:
        return None
    problem = bot_model_verify(record)
    if problem is None:
        return None
    if not cache.add(f"bot:model-healing:{record.pk}", True, HEAL_REQUEST_SECONDS):
        return None
    try:
        details = {
            "language": record.language,
            "damaged_version": record.version,
            "problem": problem,
        }
        if training_fingerprint(training_examples(language=record.language)) != (
            record.training_fingerprint
        ):
            # Other data would make another model: a person decides (retrain or roll back).
            audit_record(
                action="bot.model.heal_skipped",
                acting_user=None,
                target=record,
                reason=gettext_noop("training data changed since the damaged model was trained"),
                details=details,
            )
            return None
        new = bot_model_train(language=record.language, force=True)
        healed = new is not None and new.status == BotModel.Status.ACTIVE
        audit_record(
            action="bot.model.healed" if healed else "bot.model.heal_rejected",
            acting_user=None,
            target=new or record,
            reason=(
                "damaged model retrained on unchanged training data and re-activated"
                if healed
                else "retrained model did not pass the quality gate"
            ),
            details={**details, "new_version": new.version if new else None},
        )
        return new
    finally:
        cache.delete(f"bot:model-healing:{record.pk}")
