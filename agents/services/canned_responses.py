"""Canned responses."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from agents.models import CannedResponse, Queue
from agents.services.base import CANNED_TITLE_MAX_LENGTH, InboxError, staff_text_clean
from bot.services import MESSAGE_TEXT_MAX_LENGTH


@transaction.atomic
def canned_response_create(
    *,
    acting_user: AbstractBaseUser,
    title: object,
    text: object,
    language: str = "",
    queue: Queue | None = None,
) -> CannedResponse:
    """A personal canned response, or a queue's (supervisors only)."""
    title = staff_text_clean(title, max_length=CANNED_TITLE_MAX_LENGTH)
    text = staff_text_clean(text, max_length=MESSAGE_TEXT_MAX_LENGTH)
    if language not in ("", *dict(settings.LANGUAGES)):
        raise InboxError(_("Unknown language."), code="invalid_language")
    if queue is not None and not acting_user.has_perm("agents.change_cannedresponse"):
        raise PermissionDenied(_("Only supervisors manage a queue's canned responses."))
    return CannedResponse.objects.create(
        title=title,
        text=text,
        language=language,
        queue=queue,
        owner=None if queue is not None else acting_user,
    )


@transaction.atomic
def canned_response_delete(
    *, canned_response: CannedResponse, acting_user: AbstractBaseUser
) -> None:
    if canned_response.owner_id != acting_user.pk and not acting_user.has_perm(
        "agents.delete_cannedresponse"
    ):
        raise PermissionDenied(_("This canned response is not yours."))
    canned_response.delete()
