from celery import shared_task

from staff.services import staff_sessions_expire_idle


@shared_task
def staff_sessions_expire_idle_task() -> int:
    return staff_sessions_expire_idle()
