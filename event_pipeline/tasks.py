from celery import shared_task

from event_pipeline.models import WebhookDelivery
from event_pipeline.webhooks import WebhookRetry, webhook_deliver


# Named as before the move from supportdesk/tasks.py: outbox rows and queued messages
# written before it carry this name.
@shared_task(
    name="supportdesk.tasks.webhook_deliver_task",
    bind=True,
    max_retries=None,
    acks_late=True,
    reject_on_worker_lost=True,
)
def webhook_deliver_task(self, delivery_id: int) -> None:
    # Idempotent: a delivered (or finally failed) delivery is not sent again.
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        return
    try:
        webhook_deliver(delivery=delivery)
    except WebhookRetry as retry:
        raise self.retry(countdown=retry.countdown) from retry
