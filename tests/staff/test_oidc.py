"""Single sign-on: accounts by the provider's subject, roles exactly from mapped groups.

These call the backend's account step with the claims a provider returned; the whole
flow against a real provider runs in test_staff_browser.py."""

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from staff import roles
from staff.models import StaffSession
from staff.oidc import StaffOIDCBackend, roles_from_claims, sso_username
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

OIDC = {
    "OIDC_ENABLED": True,
    "OIDC_RP_CLIENT_ID": "supportdesk",
    "OIDC_RP_CLIENT_SECRET": "secret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://id.example.org/auth",
    "OIDC_OP_TOKEN_ENDPOINT": "https://id.example.org/token",
    "OIDC_OP_USER_ENDPOINT": "https://id.example.org/me",
    "OIDC_OP_JWKS_ENDPOINT": "https://id.example.org/jwks",
    "OIDC_GROUPS_CLAIM": "groups",
    "OIDC_GROUP_ROLES": {
        "support": roles.AGENT,
        "leads": roles.SUPERVISOR,
        "dpo": roles.PRIVACY_OFFICER,
    },
}


@pytest.fixture
def backend():
    with override_settings(**OIDC):
        yield StaffOIDCBackend()


def claims(**extra):
    return {"sub": "248289761001", "email": "sam@example.org", "given_name": "Sam", **extra}


def role_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_groups_map_to_roles_and_unknown_groups_are_ignored(backend):
    assert roles_from_claims(claims(groups=["support", "marketing"])) == {roles.AGENT}
    assert roles_from_claims(claims(groups="dpo")) == {roles.PRIVACY_OFFICER}
    assert roles_from_claims(claims()) == set()


def test_a_new_person_gets_an_account_without_password_and_the_mapped_role(backend):
    user = backend.create_user(claims(groups=["support"]))
    assert user.username == sso_username(claims()) and user.is_staff
    assert not user.has_usable_password()
    assert role_names(user) == {roles.AGENT}


def test_a_person_without_a_mapped_group_is_refused(backend):
    assert not backend.verify_claims(claims(groups=["marketing"]))
    assert backend.verify_claims(claims(groups=["support"]))


def test_the_account_is_found_by_subject_not_by_email(backend):
    local = AgentFactory(email="sam@example.org")
    assert list(backend.filter_users_by_claims(claims())) == []
    created = backend.create_user(claims(groups=["support"]))
    assert list(backend.filter_users_by_claims(claims(email="other@example.org"))) == [created]
    assert created != local


def test_roles_follow_the_groups_at_every_sign_in_and_a_removed_role_ends_sessions(backend, client):
    user = backend.create_user(claims(groups=["support", "leads"]))
    client.force_login(user)
    assert StaffSession.objects.filter(user=user).exists()

    backend.update_user(user, claims(groups=["support"]))

    assert role_names(user) == {roles.AGENT}
    assert not StaffSession.objects.filter(user=user).exists()


def test_a_disabled_account_cannot_sign_in_by_sso(backend):
    from django.core.exceptions import SuspiciousOperation

    user = backend.create_user(claims(groups=["support"]))
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()
    with pytest.raises(SuspiciousOperation):
        backend.update_user(user, claims(groups=["support"]))


def test_a_mapping_to_an_unknown_role_or_a_missing_endpoint_fails_the_checks():
    from staff.checks import sso_configuration_check

    with override_settings(**OIDC):
        assert sso_configuration_check(None) == []
    broken = {**OIDC, "OIDC_OP_JWKS_ENDPOINT": "", "OIDC_GROUP_ROLES": {"support": "agents"}}
    with override_settings(**broken):
        ids = {error.id for error in sso_configuration_check(None)}
    assert ids == {"staff.E001", "staff.E002"}
