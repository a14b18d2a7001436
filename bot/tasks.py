from celery import shared_task

from bot.learning import bot_model_heal, bot_model_retrain_requested
from bot.models import ExampleQuestion
from bot.services import conversations_close_resolved


# Idempotent (only conversations still "resolved" are closed), so it may be
# acknowledged late and redelivered if the worker dies mid-run.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def conversations_close_resolved_task() -> int:
    return conversations_close_resolved()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def bot_model_train_task(language: str) -> int | None:
    # A language code, no personal data. Idempotent: unchanged training data train nothing.
    from bot.learning import bot_model_train

    record = bot_model_train(language=language)
    return record.pk if record else None


@shared_task
def bot_models_retrain_task() -> None:
    """Beat: retrain every language that has examples; each runs as its own task."""

    for language in ExampleQuestion.objects.values_list("language", flat=True).distinct():
        bot_model_train_task.delay(language)


# Model integrity (bot.learning). Ids only; both are idempotent: the heal does nothing
# once the damaged model is no longer active or intact again, a retrain request trains
# once (nothing if a model was trained since the request).
@shared_task
def bot_model_heal_task(model_id: int) -> int | None:

    record = bot_model_heal(model_id=model_id)
    return record.pk if record else None


@shared_task
def bot_model_retrain_task(audit_event_id: int) -> int | None:

    record = bot_model_retrain_requested(audit_event_id=audit_event_id)
    return record.pk if record else None
