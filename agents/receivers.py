"""Signal receivers: only what admin edits outside our services must trigger.

An admin deletes an account in Django admin, which calls no service of ours;
the account's open inbox sockets must close all the same. (A disabled account,
a changed password or a removed role end the account's sessions and close its
sockets in staff/receivers.py.) Whoever changes an agent's availability, account or
queues (a service, admin, a shell), this process forgets the presence it remembered
(agents.selectors.agent_online_for_language).
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save

from staff.services import staff_sockets_close


def _user_deleted(sender, instance, **kwargs) -> None:
    staff_sockets_close(user_id=instance.pk)


def connect() -> None:
    # Called from AppConfig.ready(): models may be imported only once the registry is full.
    from agents.models import AgentProfile, Queue
    from agents.selectors import agent_presence_forget

    user_model = get_user_model()
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="agents.user_deleted")
    for model in (AgentProfile, Queue, user_model):
        for signal in (post_save, post_delete):
            signal.connect(agent_presence_forget, sender=model, dispatch_uid="agents.presence")
    m2m_changed.connect(
        agent_presence_forget, sender=Queue.members.through, dispatch_uid="agents.presence"
    )
