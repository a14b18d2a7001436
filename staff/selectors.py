"""Reads about staff accounts: who needs a second factor, whether a session passed it."""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp.models import Device

from staff.models import StaffSession
from staff.roles import ADMIN, AGENT, ROLE_PERMISSIONS, SUPERVISOR

INBOX_ROLES = (AGENT, SUPERVISOR, ADMIN)


def _works_the_inbox(*, user: AbstractBaseUser) -> bool:
    # The roles agents.selectors.user_is_agent names, read here without importing the
    # inbox app (a higher layer).
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name__in=INBOX_ROLES).exists()


def staff_start_url(*, user: AbstractBaseUser) -> str:
    """Where a sign-in lands when it names no page: the first page this user's role may
    see (the inbox, else the privacy officer's dashboard, else the admin)."""
    if _works_the_inbox(user=user):
        return reverse("agents:inbox")
    if user.has_perm("privacy.view_processingactivity"):
        return reverse("privacy:dashboard")
    if user.is_active and user.is_staff:
        return reverse("admin:index")
    return reverse("agents:inbox")


def second_factor_required(*, user: AbstractBaseUser) -> bool:
    """Admins and privacy officers must; an agent who enrolled must; everyone when the
    setting says so. A superuser counts as an admin."""
    if not user.is_authenticated:
        return False
    if getattr(settings, "STAFF_2FA_REQUIRED_FOR_ALL", False) or user.is_superuser:
        return True
    required_roles = set(getattr(settings, "STAFF_2FA_REQUIRED_ROLES", [])) & set(ROLE_PERMISSIONS)
    if user.groups.filter(name__in=required_roles).exists():
        return True
    return user_has_device(user, confirmed=True)


def session_second_factor_passed(*, user: AbstractBaseUser, session) -> bool:
    """What django_otp's middleware decides for a request, for a websocket's session."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def session_may_see_staff_data(*, user: AbstractBaseUser, session) -> bool:
    """A signed-in user who passed the second factor, or who needs none."""
    return session_second_factor_passed(user=user, session=session) or not second_factor_required(
        user=user
    )


def staff_session_list(*, user: AbstractBaseUser | None = None) -> QuerySet[StaffSession]:
    sessions = StaffSession.objects.select_related("user")
    return sessions.filter(user=user) if user is not None else sessions
