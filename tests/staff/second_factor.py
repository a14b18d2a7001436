"""Second factors for tests: an authenticator whose codes a test computes, recovery codes,
and what `force_login` needs to sign staff in as if they had passed the second factor."""

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from staff.models import EncryptedTOTPDevice as TOTPDevice
from staff.services import recovery_codes_store

TEST_DEVICE_NAME = "test: force_login"


def totp_device_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_code(device_or_secret, *, offset_steps: int = 0) -> str:
    """The code an authenticator shows now for a device (or a base32 secret from the page)."""
    if isinstance(device_or_secret, TOTPDevice):
        key = device_or_secret.bin_key
    else:
        import base64

        key = base64.b32decode(device_or_secret + "=" * (-len(device_or_secret) % 8))
    return f"{totp(key, t0=0, step=30, digits=6, drift=offset_steps):06d}"


def totp_wait_for_fresh_step(min_seconds_left: float = 5.0) -> None:
    """A code near the end of its 30-second step may expire between typing and checking."""
    left = 30 - time.time() % 30
    if left < min_seconds_left:
        time.sleep(left + 0.5)


def recovery_codes_for(user, count: int = 8) -> list[str]:
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(count)]
    recovery_codes_store(device=device, codes=codes)
    return codes


def session_mark_verified(client, user) -> None:
    """What django_otp.login() stores in the session, with a device kept for tests."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=TEST_DEVICE_NAME, defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
