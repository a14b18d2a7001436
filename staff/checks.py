"""Configuration mistakes of single sign-on that would otherwise only show at a sign-in."""

from django.conf import settings
from django.core.checks import Error, register

from staff.roles import ROLE_PERMISSIONS

ENDPOINTS = [
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
]


@register()
def sso_configuration_check(app_configs, **kwargs) -> list[Error]:
    if not settings.OIDC_ENABLED:
        return []
    errors = [
        Error(f"Single sign-on is on (OIDC_RP_CLIENT_ID) but {name} is empty.", id="staff.E001")
        for name in ENDPOINTS
        if not getattr(settings, name, "")
    ]
    unknown = sorted(set(settings.OIDC_GROUP_ROLES.values()) - set(ROLE_PERMISSIONS))
    if unknown:
        errors.append(
            Error(
                f"OIDC_GROUP_ROLES names unknown roles: {', '.join(unknown)}.",
                hint=f"The roles are: {', '.join(ROLE_PERMISSIONS)}.",
                id="staff.E002",
            )
        )
    if not settings.OIDC_GROUP_ROLES:
        errors.append(
            Error(
                "Single sign-on is on but OIDC_GROUP_ROLES maps no group to a role: "
                "nobody could sign in with it.",
                id="staff.E003",
            )
        )
    return errors
