"""Signal receivers: only what admin edits outside our services must trigger.

An admin disables an account in Django admin, which calls no service of
ours; the account's open inbox sockets must close all the same.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save


def _user_saved(sender, instance, created: bool, **kwargs) -> None:
    if not created and not instance.is_active:
        from agents.services import staff_sockets_close

        staff_sockets_close(user_id=instance.pk)


def _user_deleted(sender, instance, **kwargs) -> None:
    from agents.services import staff_sockets_close

    staff_sockets_close(user_id=instance.pk)


def connect() -> None:
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="agents.user_saved")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="agents.user_deleted")
