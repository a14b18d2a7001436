"""The second factor: who must use it, enrolment, confirmation, recovery, reset."""

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.test import override_settings
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from privacy.models import AuditEvent
from staff import roles
from staff.models import StaffSession
from staff.selectors import second_factor_required, session_second_factor_passed
from staff.services import recovery_code_digest
from tests.factories import AgentFactory, UserFactory
from tests.staff.second_factor import (
    recovery_codes_for,
    totp_code,
    totp_device_for,
    totp_wait_for_fresh_step,
)

pytestmark = pytest.mark.django_db
DASHBOARD = "/privacy/dashboard/"


def sign_in(client, user, path="/inbox/login/", next_url=DASHBOARD):
    response = client.post(
        path, {"username": user.username, "password": "test-password", "next": next_url}
    )
    assert response.status_code == 302, response.content[:500]
    return response


def test_admins_privacy_officers_and_superusers_must_use_a_second_factor():
    assert second_factor_required(user=UserFactory(role=roles.PRIVACY_OFFICER))
    assert second_factor_required(user=UserFactory(role=roles.ADMIN))
    assert second_factor_required(user=UserFactory(is_superuser=True))
    assert not second_factor_required(user=AgentFactory())
    assert not second_factor_required(user=UserFactory(role=roles.SUPERVISOR))


def test_an_agent_who_enrolled_must_use_it():
    agent = AgentFactory()
    totp_device_for(agent)
    assert second_factor_required(user=agent)


@override_settings(STAFF_2FA_REQUIRED_FOR_ALL=True)
def test_a_setting_requires_it_for_everyone():
    assert second_factor_required(user=AgentFactory())


class TestAPrivacyOfficerWithoutSecondFactor:
    def test_is_sent_to_set_one_up_instead_of_the_personal_data(self, client):
        officer = UserFactory(role=roles.PRIVACY_OFFICER)
        response = sign_in(client, officer)
        # the password is right, and yet the next page is the second factor
        assert response["Location"] == DASHBOARD
        page = client.get(DASHBOARD)
        assert page.status_code == 302
        assert page["Location"].startswith("/staff/two-factor/?next=")
        setup = client.get(page["Location"], follow=True)
        assert setup.redirect_chain[-1][0].startswith("/staff/two-factor/setup/")
        assert b"totp-secret" in setup.content

    @pytest.mark.parametrize(
        "path", ["/admin/privacy/datasubject/", "/admin/privacy/auditevent/", "/privacy/notice/"]
    )
    def test_reaches_no_page_with_personal_data(self, client, path):
        sign_in(client, UserFactory(role=roles.PRIVACY_OFFICER))
        response = client.get(path)
        assert response.status_code == 302 and "/staff/two-factor/" in response["Location"]

    def test_the_api_answers_403_in_its_error_format(self, client):
        sign_in(client, UserFactory(role=roles.PRIVACY_OFFICER))
        response = client.get("/api/v1/me/")
        assert response.status_code == 403
        assert response.json()["code"] == "second_factor_required"

    def test_the_admin_login_asks_for_it_too(self, client):
        sign_in(
            client,
            UserFactory(role=roles.PRIVACY_OFFICER),
            path="/admin/login/",
            next_url="/admin/",
        )
        response = client.get("/admin/")
        assert response.status_code == 302 and "/staff/two-factor/" in response["Location"]


def test_enrolment_with_an_authenticator_opens_the_personal_data(client):
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    sign_in(client, officer)
    page = client.get(f"/staff/two-factor/setup/?next={DASHBOARD}").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)

    wrong = client.post("/staff/two-factor/setup/", {"code": "000000", "next": DASHBOARD})
    assert wrong.status_code == 400
    assert client.get(DASHBOARD).status_code == 302

    totp_wait_for_fresh_step()
    done = client.post("/staff/two-factor/setup/", {"code": totp_code(secret), "next": DASHBOARD})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert client.get(DASHBOARD).status_code == 200
    assert AuditEvent.objects.filter(
        action="staff.second_factor_enrolled", target_id=str(officer.pk), reason_code="operator"
    ).exists()


def test_a_signed_in_officer_with_a_device_confirms_with_a_code(client):
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    device = totp_device_for(officer)
    sign_in(client, officer)
    assert client.get(DASHBOARD)["Location"].startswith("/staff/two-factor/")
    # setting up another factor needs the existing one first
    assert client.get("/staff/two-factor/setup/")["Location"].startswith("/staff/two-factor/")
    totp_wait_for_fresh_step()
    response = client.post("/staff/two-factor/", {"code": totp_code(device), "next": DASHBOARD})
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200
    # the session got a new key; its row in the admin's list followed it
    assert list(
        StaffSession.objects.filter(user=officer).values_list("session_key", flat=True)
    ) == [client.session.session_key]


def test_recovery_codes_are_stored_as_keyed_digests_never_in_plain_text(client):
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    totp_device_for(officer)
    codes = recovery_codes_for(officer, count=3)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert stored.isdisjoint(codes)
    assert stored == {recovery_code_digest(code) for code in codes}
    # Typed with spaces or in capitals, a code still matches its digest.
    sign_in(client, officer)
    typed = " ".join([codes[1][:4].upper(), codes[1][4:].upper()])
    assert client.post("/staff/two-factor/", {"code": typed})["Location"] == DASHBOARD
    assert StaticToken.objects.count() == 2

    # The admin shows neither codes nor digests (OTP_ADMIN_HIDE_SENSITIVE_DATA): a code
    # typed there would be kept in plain text and never match.
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    device = StaticDevice.objects.get(user=officer)
    page = client.get(f"/admin/otp_static/staticdevice/{device.pk}/change/").content.decode()
    assert "statictoken_set" not in page and recovery_code_digest(codes[0]) not in page


def test_plain_recovery_codes_stored_before_are_replaced_by_their_digests():
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    device = StaticDevice.objects.create(user=officer, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    migration = import_module("staff.migrations.0004_recovery_codes_hashed")
    migration.recovery_codes_hash(django_apps, None)
    migration.recovery_codes_hash(django_apps, None)  # a second run changes nothing
    assert list(StaticToken.objects.values_list("token", flat=True)) == [
        recovery_code_digest("abcd2345")
    ]


def test_a_recovery_code_works_once_and_is_audited(client):
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    totp_device_for(officer)
    code = recovery_codes_for(officer)[0]
    sign_in(client, officer)
    assert client.post("/staff/two-factor/", {"code": code})["Location"] == DASHBOARD
    assert AuditEvent.objects.filter(action="staff.recovery_code_used").count() == 1

    client.post("/inbox/logout/")
    sign_in(client, officer)
    again = client.post("/staff/two-factor/", {"code": code})
    assert again.status_code == 400
    assert client.get(DASHBOARD).status_code == 302


def test_a_wrong_code_is_refused_with_a_message(client):
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    totp_device_for(officer)
    sign_in(client, officer)
    response = client.post("/staff/two-factor/", {"code": "12"})
    assert response.status_code == 400
    assert b'role="alert"' in response.content


def test_an_agent_without_a_device_is_not_asked(client):
    agent = AgentFactory()
    sign_in(client, agent, next_url="/inbox/")
    assert client.get("/inbox/").status_code == 200


def test_an_admin_resets_a_lost_second_factor(client, admin_client):
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    totp_device_for(officer)
    recovery_codes_for(officer)
    sign_in(client, officer)
    assert StaffSession.objects.filter(user=officer).exists()

    admin_client.post(
        "/admin/auth/user/",
        {"action": "second_factor_reset", "_selected_action": [officer.pk]},
    )

    assert not user_has_device(officer, confirmed=None)
    assert not StaffSession.objects.filter(user=officer).exists()
    assert client.get("/inbox/")["Location"].startswith("/inbox/login/")
    event = AuditEvent.objects.get(action="staff.second_factor_reset")
    assert event.target_id == str(officer.pk) and event.reason_code == "operator"


def test_the_admin_lists_devices_but_never_shows_their_secrets(admin_client):
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    device = totp_device_for(officer)
    codes = recovery_codes_for(officer)
    static_device = officer.staticdevice_set.get()

    pages = [
        admin_client.get("/admin/staff/encryptedtotpdevice/").content.decode(),
        admin_client.get(f"/admin/staff/encryptedtotpdevice/{device.pk}/change/").content.decode(),
        admin_client.get(
            f"/admin/otp_static/staticdevice/{static_device.pk}/change/"
        ).content.decode(),
    ]

    assert all(device.key not in page and codes[0] not in page for page in pages)
    assert "Authenticator app" in pages[0]
    for secret in ("config", "qrcode"):
        response = admin_client.get(f"/admin/staff/encryptedtotpdevice/{device.pk}/{secret}/")
        assert response.status_code == 403


def test_a_websocket_session_counts_as_verified_only_with_the_device_in_it(client):
    officer = UserFactory(role=roles.PRIVACY_OFFICER)
    device = totp_device_for(officer)
    assert not session_second_factor_passed(user=officer, session={})
    assert session_second_factor_passed(
        user=officer, session={"otp_device_id": device.persistent_id}
    )
    other = totp_device_for(UserFactory())
    assert not session_second_factor_passed(
        user=officer, session={"otp_device_id": other.persistent_id}
    )
