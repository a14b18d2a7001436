from celery import shared_task

from supportdesk.models import WebhookDelivery
from supportdesk.webhooks import WebhookRetry, webhook_deliver


@shared_task(bind=True, max_retries=None, acks_late=True, reject_on_worker_lost=True)
def webhook_deliver_task(self, delivery_id: int) -> None:
    # Idempotent: a delivered (or finally failed) delivery is not sent again.
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        return
    try:
        webhook_deliver(delivery=delivery)
    except WebhookRetry as retry:
        raise self.retry(countdown=retry.countdown) from retry


# Conditional updates only (an item is queued again once per period however often this
# runs), so a redelivery is harmless.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def jobs_sweep_task() -> dict[str, int]:
    # Imported here: the sweeper imports this module (it queues webhook_deliver_task).
    from supportdesk.sweeper import jobs_sweep

    return jobs_sweep()
