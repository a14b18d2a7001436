"""The roles, as Django groups with permissions; kept in sync after every migrate.

agent: their queues only. supervisor: every queue, approves teachings, analytics.
privacy officer: the privacy app. admin: everything (and is a superuser in the demo).
"""

from django.contrib.auth.models import Group, Permission

AGENT = "agent"
SUPERVISOR = "supervisor"
PRIVACY_OFFICER = "privacy officer"
ADMIN = "admin"

_AGENT_PERMISSIONS = [
    "bot.view_conversation",
    "bot.change_conversation",
    "bot.view_message",
    "bot.add_message",
    "bot.view_intent",
    "bot.view_intentanswer",
    "bot.view_examplequestion",
    "privacy.view_personal_data",
    "agents.view_queue",
    "agents.view_cannedresponse",
    "agents.add_cannedresponse",
    "agents.add_internalnote",
    "agents.add_teaching",
]
_SUPERVISOR_PERMISSIONS = [
    *_AGENT_PERMISSIONS,
    "agents.view_all_queues",
    "agents.approve_teaching",
    "agents.view_analytics",
    "agents.change_queue",
    "agents.view_agentprofile",
    "agents.change_agentprofile",
    "agents.view_assignment",
    "agents.change_cannedresponse",
    "agents.delete_cannedresponse",
    "agents.view_teaching",
    "agents.change_teaching",
    "bot.add_intent",
    "bot.change_intent",
    "bot.add_intentanswer",
    "bot.change_intentanswer",
    "bot.add_examplequestion",
    "bot.change_examplequestion",
    "bot.delete_examplequestion",
    "bot.view_botmodel",
    "bot.add_botmodel",
    "bot.change_botmodel",
]
_PRIVACY_OFFICER_PERMISSIONS = [
    "privacy.view_datasubject",
    "privacy.view_personal_data",
    "privacy.export_personal_data",
    "privacy.erase_personal_data",
    "privacy.view_auditevent",
    "privacy.view_consentrecord",
    "privacy.view_policyversion",
    "privacy.add_policyversion",
    "privacy.change_policyversion",
    "privacy.view_retentionpolicy",
    "privacy.change_retentionpolicy",
    "privacy.view_legalhold",
    "privacy.add_legalhold",
    "privacy.view_purgerun",
    "privacy.view_datarequest",
    "privacy.add_datarequest",
    "privacy.view_dataexport",
    "privacy.view_processor",
    "privacy.add_processor",
    "privacy.change_processor",
    "privacy.view_processingagreement",
    "privacy.add_processingagreement",
    "privacy.change_processingagreement",
    "privacy.view_processingactivity",
    "privacy.add_processingactivity",
    "privacy.change_processingactivity",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    AGENT: _AGENT_PERMISSIONS,
    SUPERVISOR: _SUPERVISOR_PERMISSIONS,
    PRIVACY_OFFICER: _PRIVACY_OFFICER_PERMISSIONS,
    ADMIN: sorted(
        set(_SUPERVISOR_PERMISSIONS + _PRIVACY_OFFICER_PERMISSIONS)
        # Active staff sessions: see them, end them (staff/admin.py).
        | {"staff.view_staffsession", "staff.delete_staffsession"}
    ),
}


def roles_sync() -> None:
    """Create the role groups and set exactly their permissions. Idempotent."""
    for role, codes in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)
