"""TOTP secrets are encrypted at rest, like every other secret, and key rotation covers them."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice as PlainTOTPDevice

from privacy.services.keys import encryption_keys_rotate
from staff.models import EncryptedTOTPDevice
from staff.services import totp_device_confirm, totp_device_start
from tests.factories import AgentFactory
from tests.staff.second_factor import totp_code, totp_wait_for_fresh_step

pytestmark = pytest.mark.django_db
migration = importlib.import_module("staff.migrations.0003_totp_keys_encrypted")


def _stored_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM staff_encryptedtotpdevice")
        return [row[0] for row in cursor.fetchall()]


def test_an_enrolled_authenticators_secret_is_stored_encrypted():
    # given an agent enrolling an authenticator app
    agent = AgentFactory()
    device = totp_device_start(user=agent)
    totp_wait_for_fresh_step()

    # when they confirm it with a code
    totp_device_confirm(user=agent, device=device, token=totp_code(device))

    # then the stored value is a Fernet token, not the hex secret, and nothing is left in
    # django-otp's plain-text table
    (stored,) = _stored_keys()
    assert stored.startswith("gAAAA") and device.key not in stored
    assert not PlainTOTPDevice.objects.exists()
    assert EncryptedTOTPDevice.objects.get().confirmed


def test_the_migration_moves_plain_text_devices_to_encrypted_ones():
    # given a device from before, with its key in plain text
    agent = AgentFactory()
    plain = PlainTOTPDevice.objects.create(user=agent, name="Pixel 8", confirmed=True, drift=1)

    # when the migration runs
    migration.totp_devices_encrypt(apps, None)

    # then the same authenticator still works, its secret encrypted, the plain row gone
    moved = EncryptedTOTPDevice.objects.get(user=agent)
    assert (moved.name, moved.key, moved.drift) == ("Pixel 8", plain.key, 1)
    assert moved.created_at == plain.created_at
    assert not PlainTOTPDevice.objects.exists()
    assert plain.key not in _stored_keys()[0]
    totp_wait_for_fresh_step()
    assert moved.verify_token(totp_code(moved, offset_steps=1))


def test_key_rotation_covers_the_secrets(settings, tmp_path):
    # Rotation also rewrites the encrypted files on disk, which no rollback restores: an
    # empty media folder of its own keeps other tests' files under the configured key.
    settings.MEDIA_ROOT = str(tmp_path)
    EncryptedTOTPDevice.objects.create(user=AgentFactory(), name="Pixel 8", confirmed=True)
    old_token = _stored_keys()[0]
    settings.FIELD_ENCRYPTION_KEY = [
        "rOvLzXSvO9PFyR_rjsWRfLTbErRs3wMyvJ8DLwyVaAo=",
        *settings.FIELD_ENCRYPTION_KEY,
    ]

    rotated = encryption_keys_rotate()

    assert rotated["staff.EncryptedTOTPDevice"] == 1
    assert _stored_keys()[0] != old_token
