"""Changes to staff accounts: sessions, the second factor, roles from single sign-on.

Every change that weakens or resets an account's protection writes an audit event
(privacy's audit log) in its transaction; sockets close after commit.
"""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from event_pipeline import events
from privacy.crypto import blind_index
from privacy.models import AuditEvent
from privacy.services.audit import audit_record
from staff.models import EncryptedTOTPDevice, StaffSession
from staff.roles import ROLE_PERMISSIONS

BROWSER_MAX_LENGTH = 300
RECOVERY_CODE_COUNT = 10
RECOVERY_DIGEST_LENGTH = 16  # django-otp's StaticToken.token column
# last_seen_at is written at most this often per session: a busy inbox must not write per click.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def _session_store(session_key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def idle_timeout() -> timedelta:
    return timedelta(minutes=settings.STAFF_SESSION_IDLE_MINUTES)


# Sessions ------------------------------------------------------------------------------


def staff_session_touch(*, user: AbstractBaseUser, session_key: str, browser: str = "") -> None:
    """Record that a session was used now (creating its row for a session begun elsewhere)."""
    now = timezone.now()
    updated = StaffSession.objects.filter(
        session_key=session_key, user=user, last_seen_at__lt=now - LAST_SEEN_RESOLUTION
    ).update(last_seen_at=now)
    if not updated:
        StaffSession.objects.get_or_create(
            session_key=session_key,
            defaults={"user": user, "browser": browser[:BROWSER_MAX_LENGTH], "created_at": now},
        )


def staff_session_rekey(*, old_key: str, new_key: str) -> None:
    """The session got a new key (after the second factor): its row follows it."""
    StaffSession.objects.filter(session_key=old_key).update(session_key=new_key)


def _sessions_end(sessions: list[StaffSession]) -> int:
    for staff_session in sessions:
        _session_store(staff_session.session_key).delete()
        events.staff_session_close_publish(session_key=staff_session.session_key)
    StaffSession.objects.filter(pk__in=[s.pk for s in sessions]).delete()
    return len(sessions)


@transaction.atomic
def staff_session_end(*, staff_session: StaffSession, acting_user: AbstractBaseUser | None) -> None:
    """End one sign-in: its session is gone and its open inbox sockets close within seconds."""
    _sessions_end([staff_session])
    audit_record(
        action="staff.session_ended",
        acting_user=acting_user,
        target=staff_session.user,
        reason_code=AuditEvent.Reason.OPERATOR,
    )


@transaction.atomic
def staff_session_forget(*, session_key: str) -> None:
    """The session ended by itself (sign-out): forget its row, close its sockets."""
    _sessions_end(list(StaffSession.objects.filter(session_key=session_key)))


@transaction.atomic
def staff_sessions_end_all(*, user_id: int, cause: str) -> int:
    """End every session of a user (password changed, second factor reset, account
    disabled, role removed), also sessions begun before they were tracked: their
    sockets listen on the user's group."""
    ended = _sessions_end(list(StaffSession.objects.filter(user_id=user_id)))
    staff_sockets_close(user_id=user_id)
    if ended:
        audit_record(
            action="staff.sessions_ended",
            acting_user=None,
            reason_code=AuditEvent.Reason.OPERATOR,
            details={"user_id": user_id, "cause": cause, "sessions": ended},
        )
    return ended


def staff_sessions_expire_idle() -> int:
    """End the sessions idle longer than the timeout, their open sockets included."""
    cutoff = timezone.now() - idle_timeout()
    with transaction.atomic():
        idle = list(StaffSession.objects.filter(last_seen_at__lt=cutoff)[:500])
        return _sessions_end(idle)


# Second factor -------------------------------------------------------------------------


@transaction.atomic
def totp_device_start(*, user: AbstractBaseUser) -> EncryptedTOTPDevice:
    """An unconfirmed authenticator to scan; confirmed only by a code it produced."""
    pending = EncryptedTOTPDevice.objects.filter(user=user, confirmed=False).first()
    if pending is not None:
        return pending
    return EncryptedTOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def recovery_code_digest(code: str) -> str:
    """What is stored of a recovery code: a keyed digest (the blind-index key) cut to the
    token column's 16 characters, so a copy of the database alone signs nobody in."""
    return blind_index(f"recovery-code:{''.join(code.split()).lower()}")[:RECOVERY_DIGEST_LENGTH]


def recovery_codes_store(*, device: StaticDevice, codes: list[str]) -> None:
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=recovery_code_digest(code)) for code in codes]
    )


def _recovery_codes_new(*, user: AbstractBaseUser) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    recovery_codes_store(device=device, codes=codes)
    return codes


def _recovery_code_use(device: StaticDevice, code: str) -> bool:
    """django-otp's StaticDevice.verify_token, matching the code's digest (the plain code is
    never stored): throttled after failures, each code used once."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        return False
    match = device.token_set.filter(token=recovery_code_digest(code)).first()
    if match is None:
        device.throttle_increment()
        return False
    match.delete()
    device.throttle_reset(commit=False)
    device.set_last_used_timestamp(commit=False)
    device.save()
    return True


@transaction.atomic
def totp_device_confirm(
    *, user: AbstractBaseUser, device: EncryptedTOTPDevice, token: str
) -> list[str]:
    """Confirm the authenticator with a code from it; returns fresh recovery codes
    (shown once). Replaces an earlier authenticator. Raises ValueError on a wrong code."""
    device = EncryptedTOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(token.strip()):
        raise ValueError("wrong code")
    EncryptedTOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_new(user=user)
    audit_record(
        action="staff.second_factor_enrolled",
        acting_user=user,
        target=user,
        reason_code=AuditEvent.Reason.OPERATOR,
    )
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: AbstractBaseUser) -> list[str]:
    codes = _recovery_codes_new(user=user)
    audit_record(
        action="staff.recovery_codes_renewed",
        acting_user=user,
        target=user,
        reason_code=AuditEvent.Reason.OPERATOR,
    )
    return codes


def second_factor_verify(*, user: AbstractBaseUser, token: str):
    """The device that accepts the code (an authenticator or a recovery code), or None.
    django-otp throttles each device after failures; a recovery code works once."""
    token = "".join(token.split())
    if not token:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            if isinstance(device, StaticDevice):
                verified = _recovery_code_use(device, token)
            else:
                verified = device.verify_token(token)
            if verified:
                if isinstance(device, StaticDevice):
                    audit_record(
                        action="staff.recovery_code_used",
                        acting_user=user,
                        target=user,
                        reason_code=AuditEvent.Reason.OPERATOR,
                        details={"codes_left": device.token_set.count()},
                    )
                return device
    return None


@transaction.atomic
def second_factor_reset(*, user: AbstractBaseUser, acting_user: AbstractBaseUser | None) -> None:
    """A lost phone: remove every device, end every session; the user enrols again at the
    next sign-in."""
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    audit_record(
        action="staff.second_factor_reset",
        acting_user=acting_user,
        target=user,
        reason_code=AuditEvent.Reason.OPERATOR,
    )
    staff_sessions_end_all(user_id=user.pk, cause="second_factor_reset")


# Roles from single sign-on -------------------------------------------------------------


@transaction.atomic
def staff_roles_set(*, user: AbstractBaseUser, roles: set[str]) -> None:
    """Give the user exactly these roles (the identity provider's groups decide)."""
    wanted = set(roles) & set(ROLE_PERMISSIONS)
    current = set(user.groups.filter(name__in=ROLE_PERMISSIONS).values_list("name", flat=True))
    if wanted == current:
        return
    removed = Group.objects.filter(name__in=current - wanted)
    if removed:
        user.groups.remove(*removed)  # the m2m receiver ends the user's sessions
    added = Group.objects.filter(name__in=wanted - current)
    if added:
        user.groups.add(*added)
    audit_record(
        action="staff.roles_changed",
        acting_user=None,
        target=user,
        reason_code=AuditEvent.Reason.OPERATOR,
        details={"roles": sorted(wanted), "source": "sso"},
    )


def staff_sockets_close(*, user_id: int) -> None:
    """Close every open inbox socket of a disabled account (after commit)."""
    events.staff_close_publish(user_id=user_id)
