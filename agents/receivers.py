"""Signal receivers: only what admin edits outside our services must trigger.

An admin deletes an account in Django admin, which calls no service of ours;
the account's open inbox sockets must close all the same. (A disabled account,
a changed password or a removed role end the account's sessions and close its
sockets in staff/receivers.py.)
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete

from staff.services import staff_sockets_close


def _user_deleted(sender, instance, **kwargs) -> None:
    staff_sockets_close(user_id=instance.pk)


def connect() -> None:
    user_model = get_user_model()
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="agents.user_deleted")
