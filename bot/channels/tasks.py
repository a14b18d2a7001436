"""Celery tasks of the messenger channels: ids in, one service call, safe to run twice."""

from celery import shared_task

from bot.channels.delivery import delivery_attempt
from bot.channels.services import channels_housekeeping


# Idempotent: delivery_attempt claims the delivery with a conditional update and never
# sends a sent one again, so late acknowledgement and redelivery are safe. Retries are
# bounded by CHANNELS_DELIVERY_MAX_ATTEMPTS (real attempts) and delivery.WAIT_MAX (waits
# for the rate limit or an earlier message), hence no Celery max_retries.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def delivery_send_task(self, delivery_id: int) -> None:
    attempt = delivery_attempt(delivery_id=delivery_id, waits=self.request.retries)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)


# Batch deletes of rows past their time: running it twice deletes nothing more.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def channels_housekeeping_task() -> dict[str, int]:
    return channels_housekeeping()
