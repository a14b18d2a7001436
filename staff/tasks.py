from celery import shared_task

from staff.services import staff_sessions_expire_idle


@shared_task(acks_late=True, reject_on_worker_lost=True)
def staff_sessions_expire_idle_task() -> int:
    # Idempotent: ends what is idle now; a redelivery finds those sessions gone.
    return staff_sessions_expire_idle()
