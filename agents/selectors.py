from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from agents.models import Queue
from agents.roles import ROLE_PERMISSIONS


def user_roles(*, user: AbstractBaseUser) -> list[str]:
    if not user.is_authenticated:
        return []
    names = set(user.groups.filter(name__in=ROLE_PERMISSIONS).values_list("name", flat=True))
    if user.is_superuser:
        names.add("admin")
    return sorted(names)


def user_is_agent(*, user: AbstractBaseUser) -> bool:
    """Anyone who works the inbox: agents, supervisors and admins."""
    return bool(set(user_roles(user=user)) & {"agent", "supervisor", "admin"})


def queue_list_for_agent(*, user: AbstractBaseUser) -> QuerySet[Queue]:
    """The queues a user may see: all for supervisors and admins, else their own."""
    if not user.is_authenticated:
        return Queue.objects.none()
    if user.is_superuser or user.has_perm("agents.view_all_queues"):
        return Queue.objects.all()
    return Queue.objects.filter(members=user)
