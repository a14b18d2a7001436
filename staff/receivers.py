"""Signal receivers: sign-in, sign-out and account changes made outside our services
(Django admin, Django's password views, the lock-out library) must reach the sessions."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import m2m_changed, post_save

from privacy.models import AuditEvent
from privacy.services.audit import audit_record
from staff.roles import ROLE_PERMISSIONS
from staff.services import staff_session_forget, staff_session_touch, staff_sessions_end_all


def _logged_in(sender, request, user, **kwargs) -> None:

    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        return
    staff_session_touch(
        user=user,
        session_key=session.session_key,
        browser=request.META.get("HTTP_USER_AGENT", ""),
    )


def _logged_out(sender, request, user, **kwargs) -> None:

    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        staff_session_forget(session_key=session.session_key)


def _user_saved(sender, instance, created: bool, **kwargs) -> None:
    if created:
        return
    # set_password() leaves the new password on the instance until save(); a hash
    # upgraded at sign-in does not (it is no password change).
    if instance._password is not None:
        cause = "password_changed"
    elif not instance.is_active:
        cause = "account_disabled"
    else:
        return

    staff_sessions_end_all(user_id=instance.pk, cause=cause)


def _groups_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A role removed (from the user's side or the group's) ends the user's sessions."""
    if action not in ("post_remove", "post_clear"):
        return

    if reverse:  # group.user_set.remove(...)
        if instance.name not in ROLE_PERMISSIONS:
            return
        user_ids = pk_set or []
    else:
        if (
            action == "post_remove"
            and not Group.objects.filter(pk__in=pk_set or [], name__in=ROLE_PERMISSIONS).exists()
        ):
            return
        user_ids = [instance.pk]
    for user_id in user_ids:
        staff_sessions_end_all(user_id=user_id, cause="role_removed")


def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    """Audited without the typed name (it may be a mistyped password): the account, if any."""

    user = get_user_model().objects.filter(username=username).first() if username else None
    audit_record(
        action="staff.login_locked_out",
        acting_user=None,
        target=user,
        reason_code=AuditEvent.Reason.OPERATOR,
        details={"path": getattr(request, "path", "")[:100]},
    )


def connect() -> None:
    user_model = get_user_model()
    user_logged_in.connect(_logged_in, dispatch_uid="staff.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="staff.logged_out")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="staff.user_saved")
    m2m_changed.connect(
        _groups_changed, sender=user_model.groups.through, dispatch_uid="staff.groups_changed"
    )
    user_locked_out.connect(_locked_out, dispatch_uid="staff.locked_out")
