from celery import shared_task
from django.conf import settings

from helpcentre.services import search_misses_purge


# Deletes by age, in batches: running it twice deletes nothing twice.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def search_misses_purge_task() -> int:
    return search_misses_purge(older_than_days=settings.HELPCENTRE_SEARCH_MISS_DAYS)
