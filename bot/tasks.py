from celery import shared_task

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
    from bot.models import ExampleQuestion

    for language in ExampleQuestion.objects.values_list("language", flat=True).distinct():
        bot_model_train_task.delay(language)
