"""Single sign-on with OpenID Connect (mozilla-django-oidc), groups mapped to roles.

An account is found by the provider's stable subject (never by e-mail, which a provider
may let people change); its roles are exactly those its groups map to
(OIDC_GROUP_ROLES), set at every sign-in; a person none of whose groups maps to a role
is refused. Accounts made here have no password: they sign in through the provider.
"""

import hashlib

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from staff.services import staff_roles_set

USERNAME_PREFIX = "sso-"


def sso_username(claims: dict) -> str:
    """A stable account name per provider and subject; the subject itself may be long."""
    issuer = settings.OIDC_OP_AUTHORIZATION_ENDPOINT.split("/")[2]
    digest = hashlib.sha256(f"{issuer}|{claims['sub']}".encode()).hexdigest()[:24]
    return f"{USERNAME_PREFIX}{digest}"


def roles_from_claims(claims: dict) -> set[str]:
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    mapping = settings.OIDC_GROUP_ROLES
    return {mapping[group] for group in groups if isinstance(group, str) and group in mapping}


class StaffOIDCBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims) -> bool:
        return bool(claims.get("sub")) and bool(roles_from_claims(claims))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=sso_username(claims))

    @transaction.atomic
    def create_user(self, claims):
        user = self.UserModel(username=sso_username(claims), is_staff=True)
        user.set_unusable_password()
        self._claims_apply(user, claims)
        user.save()
        staff_roles_set(user=user, roles=roles_from_claims(claims))
        return user

    @transaction.atomic
    def update_user(self, user, claims):
        if not user.is_active:
            raise SuspiciousOperation("The account is disabled.")
        self._claims_apply(user, claims)
        user.save(update_fields=["email", "first_name", "last_name", "is_staff"])
        staff_roles_set(user=user, roles=roles_from_claims(claims))
        return user

    @staticmethod
    def _claims_apply(user, claims) -> None:
        user.email = str(claims.get("email") or "")[:254]
        user.first_name = str(claims.get("given_name") or "")[:150]
        user.last_name = str(claims.get("family_name") or "")[:150]
        user.is_staff = True
