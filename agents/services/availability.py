"""An agent's availability."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from agents.models import AgentProfile
from agents.services.base import InboxError
from event_pipeline import events


@transaction.atomic
def agent_availability_set(*, user: AbstractBaseUser, availability: object) -> AgentProfile:
    if availability not in AgentProfile.Availability.values:
        raise InboxError(_("Unknown availability."), code="invalid_availability")
    profile, _created = AgentProfile.objects.get_or_create(
        user=user, defaults={"display_name": user.get_username()}
    )
    if profile.availability != availability:
        profile.availability = availability
        profile.save(update_fields=["availability", "updated_at"])
    events.inbox_event_publish(
        groups={events.INBOX_PRESENCE_GROUP},
        payload={
            "type": "agent.availability",
            "agent_id": user.pk,
            "agent_name": profile.display_name,
            "availability": profile.availability,
        },
    )
    return profile
